"""Alerting is configured and worked on by super admins only (roles come later)."""


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
