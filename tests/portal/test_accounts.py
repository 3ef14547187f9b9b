"""Signing in and out, where each role lands, throttled failures, two-factor for super
admins, password change, and the audit log of all of it."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEntry

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def actions(*kinds):
    entries = AuditEntry.objects.order_by("at", "id")
    if kinds:
        entries = entries.filter(action__in=kinds)
    return list(entries.values_list("action", "actor_name"))


def test_the_login_page_is_styled_and_each_role_lands_on_its_page(superadmin, engineer, staff_member, staff_user):
    page = Client().get(LOGIN).content.decode()
    assert "Sign in" in page and "vigil.css" in page
    landings = {
        "root": "/dashboard/monitoring/",
        "engineer": "/status/internal/",
        "staffmember": "/status/internal/",
        "staffer": "/status/",
    }
    passwords = {"root": "pw-root-123", "engineer": "pw-engineer-123", "staffmember": "pw-staffmember-123",
                 "staffer": "pw-staff-123"}
    for user in (superadmin, engineer, staff_member, staff_user):
        client = Client()
        response = sign_in(client, user.username, passwords[user.username])
        assert response.status_code == 302, user
        assert client.get(response.url).url == landings[user.username]


def test_anonymous_visitors_are_sent_to_the_login_page_with_next():
    response = Client().get("/status/internal/")
    assert response.status_code == 302 and response.url == f"{LOGIN}?next=/status/internal/"


def test_failed_sign_ins_lock_the_account_even_from_other_addresses(settings, superadmin):
    settings.AXES_FAILURE_LIMIT = 3
    for address in ("10.0.0.1", "10.0.0.2"):
        assert sign_in(Client(), "root", "wrong", REMOTE_ADDR=address).status_code == 200
    assert sign_in(Client(), "root", "wrong", REMOTE_ADDR="10.0.0.3").status_code == 429  # the third locks
    locked = sign_in(Client(), "root", "pw-root-123", REMOTE_ADDR="10.0.0.4")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert actions("login", "login_failed") == [("login_failed", "root")] * 4


def test_failed_sign_ins_lock_the_address_across_accounts(settings, superadmin, engineer):
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("alice", "bob", "carol"):
        sign_in(Client(), name, "wrong", REMOTE_ADDR="10.0.0.9")
    assert sign_in(Client(), "engineer", "pw-engineer-123", REMOTE_ADDR="10.0.0.9").status_code == 429
    assert sign_in(Client(), "engineer", "pw-engineer-123", REMOTE_ADDR="10.0.0.10").status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_address_lock(settings, engineer):
    settings.AXES_FAILURE_LIMIT = 3
    for i, name in enumerate(("alice", "bob", "carol")):
        sign_in(Client(), name, "wrong", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    forged = sign_in(Client(), "engineer", "pw-engineer-123", REMOTE_ADDR="10.0.0.9",
                     HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert forged.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(settings, engineer):
    settings.AXES_FAILURE_LIMIT, settings.TRUSTED_PROXY_COUNT = 3, 1
    for name in ("alice", "bob", "carol"):
        sign_in(Client(), name, "wrong", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    other = sign_in(Client(), "engineer", "pw-engineer-123", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302
    assert AuditEntry.objects.filter(action="login_failed").first().ip_address == "203.0.113.5"


def test_sign_in_out_and_password_change_are_audited(engineer):
    client = Client()
    sign_in(client, "engineer", "pw-engineer-123")
    changed = client.post("/accounts/password/", {"old_password": "pw-engineer-123",
                                                   "new_password1": "a-much-Longer-pass-42",
                                                   "new_password2": "a-much-Longer-pass-42"})
    assert changed.status_code == 302 and changed.url == "/accounts/password/done/"
    client.post("/accounts/logout/")
    assert actions("login", "password_change", "logout") == [
        ("login", "engineer"), ("password_change", "engineer"), ("logout", "engineer")]
    assert AuditEntry.objects.get(action="login").ip_address == "127.0.0.1"


def test_a_bad_new_password_is_refused_with_the_reason(engineer):
    client = Client()
    client.force_login(engineer)
    response = client.post("/accounts/password/", {"old_password": "pw-engineer-123",
                                                    "new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and "too short" in response.content.decode()


def test_role_changes_and_admin_changes_are_audited(admin_client, staff_user):
    staff = Group.objects.get(name="Staff")
    response = admin_client.post(f"/admin/auth/user/{staff_user.pk}/change/", {
        "username": "staffer", "email": "staff@example.com", "is_active": "on", "groups": [staff.pk],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    role = AuditEntry.objects.get(action="role_change", target="staffer")
    assert role.target == "staffer" and role.details == {"change": "add", "groups": ["Staff"]}
    admin_entry = AuditEntry.objects.get(action="admin_change")
    assert admin_entry.actor_name == "admin" and "staffer" in admin_entry.target
    staff_user.refresh_from_db()
    staff_user.is_superuser = True
    staff_user.save()
    assert AuditEntry.objects.filter(action="role_change", details__change="made super admin").exists()


def test_the_audit_log_is_read_only_and_for_super_admins(role_clients, engineer):
    sign_in(Client(), "engineer", "pw-engineer-123")
    entry = AuditEntry.objects.latest("at")
    entries = AuditEntry.objects.count()
    listing = "/admin/portal/auditentry/"
    assert role_clients["super_admin"].get(listing).status_code == 200
    assert "engineer" in role_clients["super_admin"].get(listing).content.decode()
    assert role_clients["super_admin"].get(f"{listing}add/").status_code == 403
    assert role_clients["super_admin"].post(f"{listing}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert role_clients["super_admin"].post(f"{listing}{entry.pk}/change/", {"action": "logout"}).status_code == 403
    for role in ("staff", "engineer", "no_role"):
        assert role_clients[role].get(listing).status_code == 302  # the admin sends non-admins to its login
    entry.refresh_from_db()
    assert entry.action == "login" and AuditEntry.objects.count() == entries


@pytest.fixture
def must_use_two_factor(settings):
    settings.REQUIRE_2FA_FOR_SUPER_ADMINS = True


def device_field(page):
    """The device id the page's form submits, as a browser would send it."""
    return re.search(r'name="otp_device" value="([^"]+)"', page)[1]


def test_a_super_admin_must_set_up_two_factor_when_required(must_use_two_factor, superadmin, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # else a wrong code makes the next wait a second
    client = Client()
    sign_in(client, "root", "pw-root-123")
    blocked = client.get("/dashboard/monitoring/")
    assert blocked.status_code == 302 and blocked.url.startswith("/accounts/two-factor/")
    assert client.get("/api/monitors/").status_code == 403
    setup = client.get(blocked.url).content.decode()
    assert "<svg" in setup and "otpauth://totp/" in setup
    device = TOTPDevice.objects.get(user=superadmin, confirmed=False)
    assert device_field(setup) == device.persistent_id

    wrong = client.post(blocked.url, {"otp_device": device.persistent_id, "otp_token": "000000"})
    assert wrong.status_code == 200 and client.get("/dashboard/monitoring/").status_code == 302

    token = f"{totp(device.bin_key):06d}"
    done = client.post(blocked.url, {"otp_device": device.persistent_id, "otp_token": token})
    assert done.status_code == 302 and done.url == "/dashboard/monitoring/"
    assert client.get("/dashboard/monitoring/").status_code == 200
    assert TOTPDevice.objects.get(user=superadmin).confirmed
    assert ("two_factor", "root") in actions()


def test_a_super_admin_with_a_device_gives_a_code_at_every_sign_in(superadmin):
    device = TOTPDevice.objects.create(user=superadmin, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "root", "pw-root-123")
    assert client.get("/admin/").url.startswith("/accounts/two-factor/")
    page = client.get("/accounts/two-factor/").content.decode()
    assert "otpauth://" not in page  # the secret is shown only while setting up
    client.post("/accounts/two-factor/", {"otp_device": device_field(page), "otp_token": f"{totp(device.bin_key):06d}"})
    assert client.get("/admin/").status_code == 200


def test_other_roles_need_no_second_factor(must_use_two_factor, engineer):
    client = Client()
    sign_in(client, "engineer", "pw-engineer-123")
    assert client.get("/status/internal/").status_code == 200
    assert client.get("/accounts/two-factor/").status_code == 403


def test_the_banner_shows_on_signed_in_pages_while_a_monitor_is_down(role_clients):
    from monitors.models import Monitor
    from monitors.services import monitor_save

    monitor = monitor_save(Monitor(name="db", kind="tcp", host="127.0.0.1", port=5432))
    assert "system-banner" not in role_clients["staff"].get("/status/internal/").content.decode()
    Monitor.objects.filter(pk=monitor.pk).update(status="down")
    page = role_clients["staff"].get("/status/internal/").content.decode()
    assert 'id="system-banner"' in page and "1 monitor is down: db." in page


def test_the_admin_shows_the_banner_too(admin_client):
    from monitors.models import Monitor
    from monitors.services import monitor_save

    monitor = monitor_save(Monitor(name="db", kind="tcp", host="127.0.0.1", port=5432))
    Monitor.objects.filter(pk=monitor.pk).update(in_maintenance=True)
    page = admin_client.get("/admin/").content.decode()
    assert 'id="system-banner"' in page and "1 monitor is in maintenance: db." in page
    assert "Vigil administration" in page


def test_role_changes_from_the_group_side_and_clears_and_new_super_admins_are_audited(staff_user):
    engineers = Group.objects.get(name="Engineers")
    engineers.user_set.add(staff_user)
    staff_user.groups.clear()
    User.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    changes = list(AuditEntry.objects.filter(action="role_change").order_by("id").values_list("target", "details"))
    assert changes[-3:] == [
        ("staffer", {"change": "add", "groups": ["Engineers"]}),
        ("staffer", {"change": "remove", "groups": ["Engineers"]}),
        ("boss", {"change": "made super admin"}),
    ]
