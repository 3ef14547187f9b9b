"""Alerting is configured and worked on by super admins only (roles come later).

Every incidents admin class takes its permissions from here: SuperAdminOnly, or ReadOnly
for rows written by Vigil itself; a class narrows them by calling super().
"""


def is_super_admin(request):
    return request.user.is_active and request.user.is_superuser


class SuperAdminOnly:
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
    """Rows Vigil writes (events, the outbox, delivery attempts): super admins may look,
    nobody edits here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
