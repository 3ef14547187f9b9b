"""Signing in (password, two-factor) and the audit log of who did what."""
