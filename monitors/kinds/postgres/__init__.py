"""PostgreSQL: connect, run a read-only query, report connection use."""

import psycopg
from django import forms
from psycopg.conninfo import conninfo_to_dict

from monitors.kinds.fields import text
from monitors.kinds.postgres.checker import check

LABEL = "PostgreSQL"
SECRETS = ("dsn",)


class Settings(forms.Form):
    dsn = text(1000, label="DSN", help_text="A secret: never shown again.")
    query = text(help_text="Default SELECT 1; the first value must be true.")

    def clean_dsn(self):
        dsn = self.cleaned_data["dsn"]
        if not dsn:
            raise forms.ValidationError("A postgres monitor needs a DSN.", code="missing")
        try:
            conninfo_to_dict(dsn)
        except psycopg.ProgrammingError:
            # Never quote the DSN back: it holds a password.
            raise forms.ValidationError(
                "Not a PostgreSQL connection string (postgresql://user:password@host:5432/db or key=value pairs)."
            ) from None
        return dsn


__all__ = ["check"]
