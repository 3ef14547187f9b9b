"""`manage.py rotate_secrets`: every stored secret (channels, monitors, backup sources)
encrypted again with the first key, so the older keys can be removed."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from backups.models import BackupSource
from incidents.models import Channel
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

HEADERS = {"Authorization": "Bearer hdr-rotate-1"}
DSN = "postgresql://u:dsn-rotate-2@127.0.0.1:5432/app"
SOURCE_URL = "postgresql://u:src-rotate-3@127.0.0.1:5432/shop"


def new_key():
    return Fernet.generate_key().decode()


def rotate():
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    return out.getvalue()


def make_secrets():
    Channel.objects.create(name="hook", kind="webhook", url="https://hooks.example/x", signing_secret="s3")
    Channel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    Monitor.objects.create(name="api", kind="http", url="http://127.0.0.1/", auth_password="pw-rotate-4", headers=HEADERS)
    Monitor.objects.create(name="db", kind="postgres", dsn=DSN)
    BackupSource.objects.create(name="shop", path="/b/*.dump", source_database_url=SOURCE_URL)


def test_every_secret_is_reencrypted_with_the_first_key(settings):
    old, new = new_key(), new_key()
    settings.ENCRYPTION_KEYS = [old]
    make_secrets()
    settings.ENCRYPTION_KEYS = [new, old]

    assert rotate() == "Re-encrypted the secrets of 2 monitors, 2 channels, 1 backup source with the first key.\n"

    settings.ENCRYPTION_KEYS = [new]  # the old key is gone: everything still decrypts
    hook = Channel.objects.get(name="hook")
    assert (hook.secrets["url"], hook.secrets["signing_secret"]) == ("https://hooks.example/x", "s3")
    api, db = Monitor.objects.order_by("name")
    assert (api.auth_password, api.headers, db.dsn) == ("pw-rotate-4", HEADERS, DSN)
    assert BackupSource.objects.get().source_database_url == SOURCE_URL


# One more row per model, written with a key that is then removed too soon.
LOST = {
    Channel: dict(name="lost", kind="slack", url="https://hooks.example/lost"),
    Monitor: dict(name="lost", kind="postgres", dsn=DSN),
    BackupSource: dict(name="lost", path="/b/*.dump", source_database_url=SOURCE_URL),
}


@pytest.mark.parametrize("model", LOST)
def test_a_secret_no_key_decrypts_changes_nothing(settings, model):
    written_with = new_key()
    settings.ENCRYPTION_KEYS = [written_with]
    make_secrets()
    settings.ENCRYPTION_KEYS = [new_key()]
    lost = model.objects.create(**LOST[model])
    settings.ENCRYPTION_KEYS = [new_key(), written_with]
    stored = stored_ciphertext()

    with pytest.raises(CommandError, match=f"^{model._meta.verbose_name} {lost.pk}: a secret no key in ENCRYPTION_KEYS "
                       "decrypts; nothing was changed$"):
        rotate()
    assert stored_ciphertext() == stored


def stored_ciphertext():
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets, '' FROM incidents_channel UNION ALL "
                       "SELECT secrets, '' FROM monitors_monitor UNION ALL "
                       "SELECT source_database_url, '' FROM backups_backupsource")
        return sorted(cursor.fetchall())
