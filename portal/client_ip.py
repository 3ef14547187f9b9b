"""Moved to `core.client_ip`, so every app may read the client's address; this name stays
for settings (AXES_CLIENT_IP_CALLABLE) and imports that use it."""

from core.client_ip import client_ip  # noqa: F401
