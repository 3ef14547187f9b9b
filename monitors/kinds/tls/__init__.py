"""TLS: the certificate a server presents — trusted, for the right name, and not expiring."""

from django import forms

from monitors.kinds.fields import Address, text
from monitors.kinds.tls.checker import check

LABEL = "TLS certificate"
SECRETS = ()
ADMIN_ROWS = (("host", "port"), "server_name", "expiry_warning_days", "tls_verify")


class Settings(Address):
    kind_name = "tls"

    server_name = text(255, help_text="TLS SNI name, if not the host.")
    expiry_warning_days = forms.IntegerField(min_value=0, initial=30)
    tls_verify = forms.BooleanField(required=False, initial=True)


__all__ = ["check"]
