"""The four runbooks of the seed, as editable defaults attached to source tags.

Tag a monitor "backend", "frontend", "database" or "tls" and its notifications link the
matching runbook. Existing runbooks with the same titles are left alone; reversing removes
only runbooks still exactly as seeded.
"""

from django.db import migrations

BACKEND_500 = """\
Use this when the backend answers **HTTP 500** (or other 5xx) errors.

## 1. Confirm and scope
- Open the incident and the monitor: is every endpoint failing, or one route?
- Check the error tracker (Sentry) for a new exception and its first occurrence.
- Note when it started: did it follow a **deploy**, a config change or a feature flag?

## 2. Look at the application
- Logs: `journalctl -u <app> --since "15 min ago"` or `docker logs --since 15m <container>`.
- Are the workers up and not restarting in a loop? (`systemctl status <app>`, `docker ps`)
- Resources: memory (OOM kills in `dmesg`), disk full (`df -h`), CPU saturation.

## 3. Check what it depends on
- Database reachable and not out of connections (see *Database connection issues*).
- Cache / queue (Redis) reachable.
- Third-party APIs: timeouts there often surface as 500s here.

## 4. Mitigate
- A bad deploy: **roll back** to the previous release first, investigate after.
- A bad flag or config: revert it.
- Saturation: scale out or restart the workers (note the time in the incident).

## 5. Close
- Watch the monitor turn up and the error rate fall back to normal.
- Post an update on the incident; file the post-mortem for P0/P1.
"""

FRONTEND = """\
Use this when the **frontend does not load** (blank page, timeout, 4xx/5xx on the site).

## 1. Confirm from outside
- Load the site in a private window and from another network (phone on mobile data).
- `curl -sSI https://<site>/` — the status code, redirects and response time.
- Browser developer tools: which request fails (HTML, a JS bundle, an API call)?

## 2. Narrow it down
- **DNS**: `dig +short <site>` returns the expected address?
- **TLS**: certificate valid? (see *SSL certificate issues*)
- **CDN / load balancer**: its status page and health checks; is the origin marked down?
- **Static assets**: a new deploy referencing bundles that were not uploaded (404 on `*.js`).
- **Backend**: if the page loads but data does not, follow *Backend returning 500 errors*.

## 3. Mitigate
- Roll back the last frontend deploy, or purge the CDN cache after fixing assets.
- Fail over to the secondary origin if the primary is down.

## 4. Close
- Confirm from outside again; post an update; file the post-mortem for P0/P1.
"""

DATABASE = """\
Use this for **database connection issues** (refused, timeouts, "too many connections").

## 1. Is the server up?
- `pg_isready -h <host> -p 5432` and the monitor's last error.
- On the host: `systemctl status postgresql`, disk space (`df -h`, a full disk stops writes),
  and the PostgreSQL log for crashes or recovery.

## 2. Connections
- `SELECT count(*), state FROM pg_stat_activity GROUP BY state;`
- Compare with `SHOW max_connections;`. Many `idle in transaction` sessions point at an
  application leaking connections or transactions.
- Check the pooler (PgBouncer) if there is one: `SHOW POOLS;`.

## 3. Locks and slow queries
- `SELECT pid, now() - query_start AS age, state, query FROM pg_stat_activity
  WHERE state <> 'idle' ORDER BY age DESC LIMIT 10;`
- A long migration or a stuck lock can block everything: `pg_cancel_backend(pid)` first,
  `pg_terminate_backend(pid)` only if that fails.

## 4. Network and credentials
- Firewall / security group changes, DNS of the database host, an expired or rotated password.

## 5. Close
- Applications reconnect (restart them if their pool does not recover).
- Post an update; file the post-mortem for P0/P1; check the latest backup verification.
"""

SSL = """\
Use this for **SSL/TLS certificate issues** (expiring soon, expired, wrong name, broken chain).

## 1. Look at what is served
- `openssl s_client -connect <host>:443 -servername <host> </dev/null | openssl x509 -noout -subject -issuer -dates`
- Does the name match? Is the full chain sent (intermediate certificate included)?

## 2. Renew
- Let's Encrypt / ACME: `certbot renew` (or your ACME client), then check why automatic
  renewal did not run (timer, DNS or HTTP challenge failing, rate limits).
- A purchased certificate: renew with the issuer, install the certificate **and** the chain.

## 3. Deploy and reload
- Reload the server that terminates TLS (`nginx -t && systemctl reload nginx`, the load
  balancer or CDN certificate store).
- Check every host and port that serves the name (www, API, mail).

## 4. Close
- Re-run the check above; the TLS monitor turns up at its next check.
- Note the new expiry date; make sure renewal is automated and monitored.
"""

RUNBOOKS = [
    ("Backend returning 500 errors", BACKEND_500, ["backend"]),
    ("Frontend not loading", FRONTEND, ["frontend"]),
    ("Database connection issues", DATABASE, ["database"]),
    ("SSL certificate issues", SSL, ["tls"]),
]


def seed(apps, schema_editor):
    Runbook = apps.get_model("incidents", "Runbook")
    for title, body, tags in RUNBOOKS:
        Runbook.objects.get_or_create(title=title, defaults={"body": body, "tags": tags})


def unseed(apps, schema_editor):
    Runbook = apps.get_model("incidents", "Runbook")
    for title, body, tags in RUNBOOKS:
        Runbook.objects.filter(title=title, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_runbooks_oncall")]

    operations = [migrations.RunPython(seed, unseed)]
