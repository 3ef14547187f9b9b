"""Signing in and out, changing a password, and the second factor (TOTP) for super admins."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.permissions import public, role_required
from core.roles import Role, role_of
from portal.accounts.audit import audit
from portal.models import AuditEntry

HOME_OF_ROLE = {
    Role.SUPER_ADMIN: "dashboard",
    Role.ENGINEER: "status-internal",
    Role.STAFF: "status-internal",
    Role.PUBLIC: "status-public",
}


def needs_second_factor(user):
    """A super admin who set up a device must use it; with REQUIRE_2FA_FOR_SUPER_ADMINS
    every super admin must set one up."""
    if not (user.is_authenticated and user.is_superuser) or user.is_verified():
        return False
    return settings.REQUIRE_2FA_FOR_SUPER_ADMINS or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@public
def home(request):
    """Where `/` and a fresh sign-in lead: the page of the user's role."""
    return redirect(HOME_OF_ROLE[role_of(request.user)])


login = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view())


class PasswordChange(auth_views.PasswordChangeView):
    success_url = reverse_lazy("password-change-done")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(AuditEntry.Action.PASSWORD_CHANGE, actor=self.request.user, request=self.request)
        return response


password_change = role_required(Role.PUBLIC)(PasswordChange.as_view())
password_change_done = role_required(Role.PUBLIC)(auth_views.PasswordChangeDoneView.as_view())


@role_required(Role.SUPER_ADMIN)
def two_factor(request):
    """Enter a token from the authenticator app; set one up first if there is none."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device, _ = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False,
                                                     defaults={"name": "authenticator app"})
    form = OTPTokenForm(request.user, request, data=request.POST or None)
    form.fields["otp_device"].choices = [(device.persistent_id, device.name)]
    if request.method == "POST" and form.is_valid():
        if setting_up:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit(AuditEntry.Action.TWO_FACTOR, actor=request.user, request=request)
        otp_login(request, request.user.otp_device)
        messages.success(request, "Two-factor verification done.")
        wanted = request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
        return redirect(wanted if safe else reverse("home"))
    context = {"form": form, "setting_up": setting_up, "device_id": device.persistent_id}
    if setting_up:
        context["qr_svg"] = segno.make(device.config_url).svg_inline(scale=4)
        context["config_url"] = device.config_url
    return render(request, "accounts/two_factor.html", context)
