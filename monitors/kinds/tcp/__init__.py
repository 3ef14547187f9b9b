"""TCP: the port accepts a connection within the timeout."""

from monitors.kinds.fields import Address
from monitors.kinds.tcp.checker import check

LABEL = "TCP port"
SECRETS = ()
ADMIN_ROWS = (("host", "port"),)


class Settings(Address):
    kind_name = "tcp"


__all__ = ["check"]
