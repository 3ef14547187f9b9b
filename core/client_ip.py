"""The client's address. X-Forwarded-For is trusted only when TRUSTED_PROXY_COUNT says how
many proxies stand in front (then the address the outermost of them saw); otherwise
anyone could pick an address per request and slip past the sign-in throttle."""

from django.conf import settings


def client_ip(request):
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
