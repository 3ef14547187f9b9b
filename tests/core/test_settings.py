"""Settings from the environment: production checks and Sentry for Vigil's own errors."""

import time

import pytest

from tests.support.processes import Cluster, child_env, cluster_env, manage
from tests.support.servers import SentryReceiver

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7$Kq9!vR2#mWp4@zL8^nB6&tY3*cF5(hJ1)dG0-sA_eQ+uI=oP~",
    "ALLOWED_HOSTS": "vigil.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


@pytest.mark.django_db
def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=child_env(**PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_deploy_check_flags_the_development_defaults():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=child_env(DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


@pytest.fixture
def sentry():
    receiver = SentryReceiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_errors_raised_inside_cluster_tasks_reach_sentry(sentry, tmp_path):
    env = cluster_env("orm", SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="test", CHECK_RUNNERS=0)
    with Cluster(env, tmp_path / "cluster.log"):
        enqueue = "from django_q.tasks import async_task; async_task('math.sqrt', -1)"
        assert manage("shell", "-c", enqueue, env=env).returncode == 0
        stop = time.monotonic() + 30
        while not sentry.exceptions() and time.monotonic() < stop:
            time.sleep(0.2)
    assert [(e["type"], e["value"]) for e in sentry.exceptions()] == [("ValueError", "math domain error")]
    frames = [frame for e in sentry.exceptions() for frame in e["stacktrace"]["frames"]]
    assert frames and not any("vars" in frame for frame in frames), "local variables may hold secrets"
    assert sentry.items[-1]["environment"] == "test"


@pytest.mark.django_db
def test_sentry_stays_off_without_a_dsn():
    code = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    assert manage("shell", "-c", code, env=child_env(SENTRY_DSN="")).stdout.strip().endswith("False")
