"""Who may do what, for every app: the API permission and the admin mixins.

Everything is super admins only until roles exist; a view or admin class narrows these
by calling super().
"""

from rest_framework import permissions


class IsSuperAdmin(permissions.BasePermission):
    """Only super admins (anonymous: 401, anyone else signed in: 403)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)


def is_super_admin(request):
    return request.user.is_active and request.user.is_superuser


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
    """Rows Vigil writes itself (state changes, events, the outbox): super admins may look,
    nobody edits them in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
