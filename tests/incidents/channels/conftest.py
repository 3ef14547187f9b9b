from tests.incidents.channels.common import signed_webhook, slack_api, slack_webhook, smtp  # noqa: F401 (fixtures)
