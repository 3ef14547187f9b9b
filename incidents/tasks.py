"""django-q2 entry points. Thin: they call the deliverer."""

from incidents import delivery


def deliver_pending():
    """Deliver every due pending notification (the kicked task and the periodic sweep)."""
    return delivery.deliver_pending()
