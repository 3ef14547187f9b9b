"""Email through Django's mail backend (settings from EMAIL_URL): one mail per delivery."""

from incidents.channels.email.sender import send  # noqa: F401
from incidents.channels.email.settings import CONFIG_KEYS, LABEL, SECRETS, Settings  # noqa: F401
