"""The pages scenario (issue 5): the public status page and the super admins' dashboard,
served by gunicorn, measured with a load generator on loopback.

    python -m bench pages --db both                200 public monitors, then 1,000 monitors
    python -m bench pages --db sqlite --quick      a smoke run (small numbers, short runs)
    python -m bench pages --db postgres --web-workers 2,4 --connections 8,32,64 --duration 30

Each database runs in a child process of its own, on a fresh database (SQLite in a temp
dir; PostgreSQL `vigil_bench_<random>`, dropped at the end), like the other scenarios:

1.  200 public HTTP monitors under five tags (a tenth untagged: "Other"), never checked
    (no cluster runs), with 90 days of hourly and daily rollups written straight into the
    tables by `bench.history`'s generator (its outages give the bars their bad days; raw
    results kept for the last RESULTS_RETENTION_DAYS, 30, as the engine keeps them).
    Three resolved incidents in the last 14 days (source_key "monitor:<id>", public
    timeline updates) and one 40 days ago, and one maintenance window two days ahead
    covering a tag: the page has every section.
2.  In-process (Django's test Client, no network): the page 50 times with its three cache
    entries deleted before each request ("uncached"), its parts timed alone (the data
    build, the body's rendering, the gzip), its queries counted; then warm ("cached").
    The page's size, plain and gzipped.
3.  gunicorn serving the page on a free loopback port, with the flags of `make run`
    (`--threads 4 --timeout 90`), DEBUG=false, ALLOWED_HOSTS=127.0.0.1, static files
    collected into a temp STATIC_ROOT (VIGIL_VAR_DIR), the database's environment (SQLite:
    the per-process LocMemCache; PostgreSQL: the Redis cache, on Redis database 14 so no
    other Vigil's keys are met), for 2 and then 4 workers:
    - cached: `wrk` with `Accept-Encoding: gzip` at 8, 32 and 64 connections, and without
      it at 32, 30 s each after a 3 s warm-up, in two modes (`--expiry`): as shipped (the
      page expires every 15 s, so a run includes its rebuilds) and warm ("pinned": the
      WSGI factory in bench/pages/server.py sets status_data.CACHE_SECONDS to an hour). Each worker logs
      every rebuild (data, body, gzip) with its time, so the figures say how many
      happened during the run.
    - uncached: the same gunicorn with Django's DummyCache (the WSGI factory in bench/pages/server.py
      overrides CACHES before Django starts; portal/settings.py reads no variable for it),
      so every request builds the page: `wrk` at 1 connection and at one per worker.
4.  800 private monitors more (1,000 in all), 90 days of history each; a super admin
    (session cookie from Django's test Client, stored in the database): the dashboard and
    its panels 30 times each in-process and through gunicorn; the status page's uncached
    build again, now with 800 private monitors beside the public ones.

wrk is Debian's (`apt-get install -y wrk`, done here when it is missing and we are root);
without it a Python load client (threads, keep-alive connections) is used and the results
say so. CPU per process group is sampled (gunicorn, the load generator, PostgreSQL,
Redis, "others": whoever else uses the machine). Results go to
bench/results/<timestamp>.json; `python -m bench.pages --markdown FILE` prints one as
Markdown.
"""
