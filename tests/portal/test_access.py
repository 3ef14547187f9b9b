"""Every URL states who may use it: a page carries `public`, `by_link` or `role_required`,
an API view permission classes that name a role. A view that states nothing fails here,
so nothing is reachable by accident."""

from django.urls import URLPattern, URLResolver, get_resolver

# The admin checks its own permissions (every ModelAdmin is super admins only); static
# files are files; DRF's format-suffix and root views come with the router.
SELF_GUARDED = ("admin/",)


def every_pattern(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(SELF_GUARDED):
                yield from every_pattern(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def access_of(view):
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is not None and hasattr(cls, "permission_classes"):
        accesses = [getattr(permission, "access", None) for permission in cls.permission_classes]
        return accesses if accesses and None not in accesses else None
    return getattr(view, "access", None)


def test_every_view_says_who_may_use_it():
    routes = list(every_pattern())
    assert len(routes) > 20  # the walk reached the app's URLs
    assert [route for route, view in routes if access_of(view) is None] == []
