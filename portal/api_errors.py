"""Django's own 404 for a URL nothing routes: JSON under /api/, as the API's other errors
(`{"detail": …}`, the schema's `Error`), and the usual page everywhere else."""

from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
