"""Vigil settings: every value comes from the environment (see README.md, "Configuration")."""

import os
import re
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core.rate_limits import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VIGIL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def _secret_key_from_var_dir():
    """A key generated once into var/ so sessions survive restarts without configuration."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _git_commit():
    head = BASE_DIR / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            return (BASE_DIR / ".git" / ref[5:]).read_text().strip()
        return ref
    except OSError:
        return None


def _encryption_key_from_var_dir():
    """A Fernet key generated once into var/, for a single machine without configuration."""
    from cryptography.fernet import Fernet

    key_file = VAR_DIR / "encryption_key"
    if not key_file.exists():
        key_file.write_bytes(Fernet.generate_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _secret_key_from_var_dir()
# Secrets (of channels, monitors and backup sources) are encrypted at rest with the first
# key; every key decrypts, so a key is rotated by putting the new one first (then
# `manage.py rotate_secrets`, see docs/secrets.md).
ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[]) or [_encryption_key_from_var_dir()]
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "core",
    "portal",
    "monitors",
    "incidents",
    "backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.vigil",
            ],
        },
    },
]

# Database -----------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vigil.sqlite3'}"),
}
# Test databases are named per run (scripts/run-tests sets the id) or per process, so
# concurrent test runs on one machine never share one.
TEST_RUN_ID = env.str("VIGIL_TEST_RUN_ID", default=str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the cluster writes; IMMEDIATE takes the write
    # lock at BEGIN, so two writers queue on the busy timeout instead of failing with
    # "database is locked" when a read transaction tries to upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {
        # A file, not :memory:, so the clusters started by tests see the same data.
        "NAME": str(VAR_DIR / f"test-{TEST_RUN_ID}.sqlite3"),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_vigil_{TEST_RUN_ID}",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (django-q2) -------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
CHECK_RUNNERS = env.int("CHECK_RUNNERS", default=2)
CHECK_CONCURRENCY = env.int("CHECK_CONCURRENCY", default=100)
CHECK_RUNNER_LIFETIME = env.int("CHECK_RUNNER_LIFETIME", default=120)
CHECK_MAX_TIMEOUT = 60

# Backups (before Q_CLUSTER: a verification is its longest task)
# A server where Vigil may create and drop scratch databases (vigil_verify_*) to test
# restores, e.g. postgres://vigil_verify:pw@db-test:5432/postgres. Empty: restore checks
# are skipped with a warning. Never Vigil's own database, nor a backup's source.
BACKUP_RESTORE_DATABASE_URL = env.str("BACKUP_RESTORE_DATABASE_URL", default="")
# The deadline of one verification (find, checksum, read, restore, inspect), in seconds.
BACKUP_VERIFY_TIMEOUT = env.int("BACKUP_VERIFY_TIMEOUT", default=3600)
# backup_stale: no good verification by a source's next scheduled run plus this (seconds).
BACKUP_STALE_MARGIN = env.int("BACKUP_STALE_MARGIN", default=2 * 3600)
# pg_restore --jobs for custom-format dumps (parallel data load and index builds).
BACKUP_RESTORE_JOBS = env.int("BACKUP_RESTORE_JOBS", default=1)

Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="vigil"),
    "workers": env.int("Q_WORKERS", default=CHECK_RUNNERS + 2),
    "recycle": 500,
    # Plain tasks must finish in `timeout`; check runners pass their own longer one.
    "timeout": 120,
    # `retry` must exceed the longest task (a runner's lifetime plus its last checks, or a
    # backup verification): an unacknowledged task is handed to another worker after it.
    # Work a crashed cluster left is picked up sooner by the minute jobs (runner leases,
    # the outbox sweep, the backup dispatcher), not by this.
    "retry": max(CHECK_RUNNER_LIFETIME + CHECK_MAX_TIMEOUT, BACKUP_VERIFY_TIMEOUT + 60) + 120,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    # How long the ORM broker waits before looking again when its queue is empty: it sets
    # the delay between a state change's commit and its notification being picked up.
    "poll": env.float("Q_POLL", default=0.05),
    # Runner tasks live for minutes: a cluster must not prefetch runners it cannot start
    # while another cluster has idle workers.
    "queue_limit": env.int("Q_QUEUE_LIMIT", default=2),
    "error_reporter": {"vigil_sentry": {}},
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Config as code: one section per top-level key of a config file, applied in this order
# (deletions in the reverse order).
CONFIG_SECTIONS = [
    "incidents.config.ChannelSection",
    "monitors.config.monitor.MonitorSection",
    "incidents.config.AlertRuleSection",
    "monitors.config.maintenance.MaintenanceSection",
    "backups.config.BackupSourceSection",
    "portal.sentry.config.SentryProjectSection",
]

# Checks -----------------------------------------------------------------

CHECKS_ALLOW_LINK_LOCAL = env.bool("CHECKS_ALLOW_LINK_LOCAL", default=False)
CHECK_BODY_LIMIT = 1024 * 1024
# History: raw results (packed per monitor and hour) and the hourly and daily rollups.
RESULTS_RETENTION_DAYS = env.int("RESULTS_RETENTION_DAYS", default=30)
ROLLUP_RETENTION_DAYS = env.int("ROLLUP_RETENTION_DAYS", default=400)
if not 1 <= RESULTS_RETENTION_DAYS <= ROLLUP_RETENTION_DAYS:
    raise ImproperlyConfigured("RESULTS_RETENTION_DAYS must be at least 1 and at most ROLLUP_RETENTION_DAYS")
PING_BODY_LIMIT = 10_000
# Pings a check (its UUID) and a client address may send; see docs/alerting.md "Limits".
PING_RATE_PER_CHECK = parse_rate(env.str("PING_RATE_PER_CHECK", default="120/min"), name="PING_RATE_PER_CHECK")
PING_RATE_PER_IP = parse_rate(env.str("PING_RATE_PER_IP", default="6000/min"), name="PING_RATE_PER_IP")
PORT = env.int("PORT", default=8000)
VIGIL_BASE_URL = env.str("VIGIL_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

# Alerting -----------------------------------------------------------------

# Channel targets on loopback, private or link-local addresses are refused (at save time
# and at connect time) unless this is set; the tests and `make run`'s demo set it.
CHANNELS_ALLOW_PRIVATE_IPS = env.bool("CHANNELS_ALLOW_PRIVATE_IPS", default=False)
# Events (`/api/events`, `/v2/enqueue`, `/v2/change/enqueue`) a routing key and a client
# address may send; see docs/alerting.md "Limits".
EVENTS_RATE_PER_KEY = parse_rate(env.str("EVENTS_RATE_PER_KEY", default="300/min"), name="EVENTS_RATE_PER_KEY")
EVENTS_RATE_PER_IP = parse_rate(env.str("EVENTS_RATE_PER_IP", default="1200/min"), name="EVENTS_RATE_PER_IP")
# Delivery of the outbox: a worker leases a channel while it sends for it; sends at most one
# message per NOTIFY_MIN_GAP_SECONDS to a channel (Slack allows about one a second);
# retries transient failures after these delays (the last repeats) and gives up after
# NOTIFY_GIVE_UP_AFTER seconds; every send has a total deadline of NOTIFY_TIMEOUT seconds.
NOTIFY_LEASE_SECONDS = env.int("NOTIFY_LEASE_SECONDS", default=60)
NOTIFY_MIN_GAP_SECONDS = env.float("NOTIFY_MIN_GAP_SECONDS", default=1.0)
NOTIFY_RETRY_DELAYS = env.list("NOTIFY_RETRY_DELAYS", cast=float, default=[30, 60, 120, 300, 600, 1800, 3600])
NOTIFY_GIVE_UP_AFTER = env.int("NOTIFY_GIVE_UP_AFTER", default=48 * 3600)
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=10.0)
NOTIFY_CONCURRENCY = env.int("NOTIFY_CONCURRENCY", default=8)
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api").rstrip("/")
# When the daily summary goes out, in TIME_ZONE (hourly summaries go out on the hour).
DAILY_DIGEST_AT = env.str("DAILY_DIGEST_AT", default="08:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", DAILY_DIGEST_AT):
    raise ImproperlyConfigured(f"DAILY_DIGEST_AT must be a 24-hour time like 08:00, not {DAILY_DIGEST_AT!r}")
# Flap detection, in the manner of Nagios: the weighted share of state changes over the
# last 21 checks; a monitor starts flapping above the first and stops below the second.
FLAP_START_PERCENT = env.float("FLAP_START_PERCENT", default=30.0)
FLAP_STOP_PERCENT = env.float("FLAP_STOP_PERCENT", default=15.0)

# Auth, API -----------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "status-public"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are throttled per account and, separately, per address: after
# LOGIN_FAILURE_LIMIT failures either is locked for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("LOGIN_LOCKOUT_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip"
AXES_VERBOSE = False
# How many proxies in front of Vigil set X-Forwarded-For; 0: the header is not trusted.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Super admins must set up and use TOTP two-factor sign-in.
REQUIRE_2FA_FOR_SUPER_ADMINS = env.bool("REQUIRE_2FA_FOR_SUPER_ADMINS", default=False)
OTP_TOTP_ISSUER = env.str("STATUS_PAGE_NAME", default="Vigil")

# How often the super admins' dashboard refreshes its panels, in seconds.
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=30)

# What the status pages and every page's frame show.
BRANDING = {
    "name": env.str("STATUS_PAGE_NAME", default="Vigil"),
    "logo_url": env.str("STATUS_PAGE_LOGO_URL", default=""),
    "accent": env.str("STATUS_PAGE_ACCENT", default="#1565c0"),
}
if not re.fullmatch(r"#[0-9a-fA-F]{6}", BRANDING["accent"]):
    raise ImproperlyConfigured(f"STATUS_PAGE_ACCENT must be a colour like #1565c0, not {BRANDING['accent']!r}")

# The public status page, its data and the API throttle are cached here: per process by
# default, shared by every process through Redis when REDIS_URL is set.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "vigil"}}
if REDIS_URL:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                         "KEY_PREFIX": "vigil-cache"}
# Request limits (core.rate_limits) count in a cache of their own, so a counter per check and
# address each minute never pushes the status page out of "default".
CACHES["limits"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "vigil-limits",
                    "OPTIONS": {"MAX_ENTRIES": 50_000}}
if REDIS_URL:
    CACHES["limits"] = {**CACHES["default"], "KEY_PREFIX": "vigil-limits"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Denied by default: every view names its own permission (core.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsSuperAdmin"],
    # Adds the error answers (400, 401, 403, 404, 429) every view may give to the schema.
    "DEFAULT_SCHEMA_CLASS": "core.api_schema.VigilAutoSchema",
    # ?limit= (1-1000) and ?offset=: anything else is a 400, not a silent default.
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StrictLimitOffsetPagination",
    # JSON bodies only: a form or multipart body is a 415, not half-parsed into defaults.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "PAGE_SIZE": 100,
    # The public status API (portal.status.api) is throttled per client address.
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("PUBLIC_API_RATE", default="60/minute")},
}

# Internationalisation, static files ---------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email -----------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vigil@localhost")

# Security (read under Django's own names; see docs/production.md) ---------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Logging: secrets never reach a log line; checks log only names and outcomes. ----------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="INFO")},
        # urllib3 warns with the full request URL, which may carry a token in its query.
        "urllib3": {"level": "ERROR"},
        # django-axes logs every sign-in at INFO; failures are in the audit log already.
        "axes": {"level": "WARNING"},
    },
}

# Sentry -----------------------------------------------------------------

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.1)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or _git_commit()

if SENTRY_DSN:
    from portal.sentry.sdk import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# Sentry error stats and metrics ---------------------------------------------------

# Error counts read from Sentry's API (dashboard figures and `error_rate` events); all three
# must be set. The token needs the `project:read` scope and never leaves the server.
SENTRY_AUTH_TOKEN = env.str("SENTRY_AUTH_TOKEN", default="")
SENTRY_ORG = env.str("SENTRY_ORG", default="")
SENTRY_PROJECTS = env.list("SENTRY_PROJECTS", default=[])
SENTRY_API_URL = env.str("SENTRY_API_URL", default="https://sentry.io/api/0/").rstrip("/") + "/"
SENTRY_API_TIMEOUT = env.float("SENTRY_API_TIMEOUT", default=10.0)
# Counts and issues are read for this environment only when SENTRY_ENVIRONMENT is set
# (its "production" default above names Vigil's own errors; it is no filter).
SENTRY_STATS_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
# At most this many pages of unresolved issues (Sentry's page size) are read per project
# and poll when looking for new issues.
SENTRY_ISSUE_PAGES = env.int("SENTRY_ISSUE_PAGES", default=5)
# Without Sentry project rows (admin, `sentry_projects:`), the SENTRY_PROJECTS are "over"
# with at least this many errors in the window (Sentry keeps its 10-second counts for an
# hour, so the window is at most 60 minutes).
SENTRY_ERROR_THRESHOLD = env.int("SENTRY_ERROR_THRESHOLD", default=50)
SENTRY_ERROR_WINDOW_MINUTES = env.int("SENTRY_ERROR_WINDOW_MINUTES", default=5)
if SENTRY_ERROR_THRESHOLD < 1 or not 1 <= SENTRY_ERROR_WINDOW_MINUTES <= 60:
    raise ImproperlyConfigured("SENTRY_ERROR_THRESHOLD must be at least 1 and SENTRY_ERROR_WINDOW_MINUTES 1 to 60")

# /metrics (Prometheus) answers a scraper with this bearer token or from these addresses
# (CIDRs allowed); with neither it is off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# Also serve names kept only for existing dashboards (vigil_monitor_response_time_ms);
# false gives output `promtool check metrics` finds nothing to say about.
METRICS_DEPRECATED_NAMES = env.bool("METRICS_DEPRECATED_NAMES", default=True)


def _check_metrics_networks(values):
    import ipaddress

    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {value!r} is not an address or a network") from None


_check_metrics_networks(METRICS_ALLOWED_IPS)

# The API's OpenAPI schema (/api/schema/) and docs (/api/docs/), assets served from here.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": "Monitors, incidents, error stats, and the events API for the team's apps.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operation ids and tags without the /api/ prefix ("monitors_create"), whatever other
    # paths (PagerDuty's /v2/enqueue) the schema also holds: clients generate code from them.
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Staff and above: the team reads the docs; the public (signed in or not) does not.
    "SERVE_PERMISSIONS": ["core.permissions.IsStaffMember"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two fields named "severity" with different choices: the events API's and Vigil's.
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "incidents.models.Severity",
        "EventSeverityEnum": "incidents.events_api.SEVERITIES",
    },
}
