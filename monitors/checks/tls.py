"""tls checker."""
