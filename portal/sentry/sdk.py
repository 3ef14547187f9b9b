"""Sentry for Vigil's own errors: web requests and django-q2 tasks."""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from portal.sentry.scrub import scrub_breadcrumb, scrub_event


def init_sentry(*, dsn, environment, release, traces_sample_rate):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        # Monitor settings carry secrets (DSNs, passwords, headers): they live in request
        # bodies and in local variables, and Sentry's scrubbing knows neither name.
        include_local_variables=False,
        max_request_body_size="never",
        # URLs, ping UUIDs, tokens and authenticating headers (see portal.sentry.scrub).
        before_breadcrumb=scrub_breadcrumb,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )


class TaskErrorReporter:
    """django-q2 error reporter (entry point `djangoq.errorreporters: vigil_sentry`).

    django-q2 catches every task exception itself and calls `report()` inside its
    `except` block, so the exception is still current here. Without a DSN,
    `capture_exception` does nothing.
    """

    def __init__(self, **options):
        self.options = options

    def report(self):
        sentry_sdk.capture_exception()
