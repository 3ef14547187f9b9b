import pytest
from django.contrib.auth.models import User

from tests.servers import HTTPTarget


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests do not run collectstatic, so the manifest storage of production has nothing to read."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
def superadmin(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-root-123")


@pytest.fixture
def staff_user(db):
    """A signed-in non-admin: may not manage monitors."""
    return User.objects.create_user("staffer", "staff@example.com", "pw-staff-123")
