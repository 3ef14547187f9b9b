"""Who may do what, for every app: API permissions, view decorators and admin mixins.

Every view states who may use it with one of these; `tests/portal/test_access.py` walks every
URL and fails on a view that does not. Denied by default: the API's default permission
is super admins only, and a page without a decorator fails that test.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from core.roles import Role, has_role


def _role_permission(role, name):
    class HasRole(permissions.BasePermission):
        """Anonymous: 401 (or 403 without an auth header scheme); signed in without the role: 403."""

        access = role

        def has_permission(self, request, view):
            return has_role(request.user, role)

    HasRole.__name__ = HasRole.__qualname__ = name
    return HasRole


IsSuperAdmin = _role_permission(Role.SUPER_ADMIN, "IsSuperAdmin")
IsEngineer = _role_permission(Role.ENGINEER, "IsEngineer")
IsStaffMember = _role_permission(Role.STAFF, "IsStaffMember")


class IsAnyone(permissions.AllowAny):
    """Public on purpose (the public status API, events with their own key)."""

    access = Role.PUBLIC


def role_required(role):
    """A page for `role` and above: anonymous visitors go to the login page, others get 403."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.access = role
        return guarded

    return decorate


def public(view):
    """A page anyone may read, on purpose."""
    view.access = Role.PUBLIC
    return view


def by_link(view):
    """A page whose URL is its own credential (a heartbeat's ping UUID, a signed
    acknowledgement link): no sign-in, on purpose."""
    view.access = "link"
    return view


def is_super_admin(request):
    return has_role(request.user, Role.SUPER_ADMIN)


class SuperAdminOnly:
    """A ModelAdmin mixin: super admins see and change everything, nobody else sees it."""

    def has_module_permission(self, request):
        return is_super_admin(request)

    def has_view_permission(self, request, obj=None):
        return is_super_admin(request)

    def has_add_permission(self, request, *args):
        return is_super_admin(request)

    def has_change_permission(self, request, obj=None):
        return is_super_admin(request)

    def has_delete_permission(self, request, obj=None):
        return is_super_admin(request)


class ReadOnly(SuperAdminOnly):
    """Rows Vigil writes itself (state changes, events, the outbox, the audit log): super
    admins may look, nobody edits them in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
