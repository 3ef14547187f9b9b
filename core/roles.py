"""Who is who: super admins (`is_superuser`), Engineers and Staff (Django groups made by a
data migration), and the public (anyone else, signed in or not).

Roles are nested: a super admin may do what an engineer may, an engineer what staff may.
"""

from enum import IntEnum

ENGINEERS = "Engineers"
STAFF = "Staff"
ROLE_GROUPS = (ENGINEERS, STAFF)


class Role(IntEnum):
    PUBLIC = 0
    STAFF = 1
    ENGINEER = 2
    SUPER_ADMIN = 3

    @property
    def label(self):
        return {Role.PUBLIC: "public", Role.STAFF: "staff", Role.ENGINEER: "engineer",
                Role.SUPER_ADMIN: "super admin"}[self]


def role_of(user):
    """The user's role, read once per request (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.PUBLIC
    if user.is_superuser:
        return Role.SUPER_ADMIN
    if not hasattr(user, "_vigil_role"):
        groups = set(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
        user._vigil_role = Role.ENGINEER if ENGINEERS in groups else Role.STAFF if STAFF in groups else Role.PUBLIC
    return user._vigil_role


def has_role(user, role):
    return role_of(user) >= role
