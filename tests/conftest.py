import pytest
from django.contrib.auth.models import User

from tests.support.browser import chromium, page_as  # noqa: F401  (fixtures)
from tests.support.receivers import SMTPReceiver, send_mail_to
from tests.support.servers import HTTPTarget


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests do not run collectstatic, so the manifest storage of production has nothing to read."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached pages and answers (status page, Sentry stats, throttles, request limits) never
    leak between tests."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's PBKDF2 costs ~0.3 s a hash: tests that sign in would spend minutes on it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def channels_may_use_loopback(settings):
    """Test receivers listen on loopback, which production refuses for channels by default."""
    settings.CHANNELS_ALLOW_PRIVATE_IPS = True


@pytest.fixture
def http_target():
    target = HTTPTarget().start()
    yield target
    target.stop()


@pytest.fixture
def smtp(settings):
    """A plain SMTP server on loopback that Django's mail goes to; it records each message."""
    receiver = SMTPReceiver().start()
    send_mail_to(receiver.port, settings)
    yield receiver
    receiver.stop()


@pytest.fixture
def superadmin(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def staff_user(db):
    """A signed-in non-admin: may not manage monitors."""
    return User.objects.create_user("staffer", "staff@example.com", "pw-staff-123")


def _member(username, group):
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username, f"{username}@example.com", f"pw-{username}-123")
    # get_or_create: a transactional test's flush removes the migration's groups.
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def engineer(db):
    return _member("engineer", "Engineers")


@pytest.fixture
def staff_member(db):
    """In the Staff group: reads the internal status page."""
    return _member("staffmember", "Staff")


@pytest.fixture
def role_clients(superadmin, engineer, staff_member, staff_user):
    """A test client per role, plus anonymous and a signed-in user with no role."""
    from django.test import Client

    clients = {"anonymous": Client()}
    for role, user in (("no_role", staff_user), ("staff", staff_member), ("engineer", engineer),
                       ("super_admin", superadmin)):
        clients[role] = Client()
        clients[role].force_login(user)
    return clients
