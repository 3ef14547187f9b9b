"""Sentry: reporting Vigil's own errors (the SDK, scrubbed), and Sentry as an event source
(error stats, error rates, new issues)."""
