"""django-q2 entry points. Thin: they call the deliverer."""

from incidents import delivery


def deliver_pending():
    """Deliver every due pending notification (the kicked task and the periodic sweep)."""
    return delivery.deliver_pending()


def escalate_and_remind():
    """Escalate unacknowledged incidents past their SLA and remind about open P0/P1 ones."""
    from incidents import lifecycle

    return lifecycle.escalate_and_remind()
