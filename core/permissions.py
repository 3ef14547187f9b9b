"""API permissions shared by every app's endpoints."""

from rest_framework import permissions


class IsSuperAdmin(permissions.BasePermission):
    """Only super admins (anonymous: 401, anyone else signed in: 403)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)
