"""Backup sources and their verification log (see the backup verification issue)."""
