"""Mail as every sender in Vigil builds it: each header value on one line.

A header value with a line break in it could add headers of its own (`Bcc: …`); Django
refuses it with BadHeaderError, and the mail is then never sent however often it is
retried. Text that reaches a header (an incident title in a subject, say) comes from
monitored apps and admins, so line breaks in it are made spaces instead: the mail goes
out, with the value on one line and no header added.
"""

import re

from django.core import mail

# Every character str.splitlines() breaks on, runs of them as one.
LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def one_line(value):
    """`value` with each run of line breaks made one space."""
    return LINE_BREAKS.sub(" ", str(value))


class OneLineHeaders:
    """For Django's message classes: header values are made one line when the message is
    made (the SMTP backend reads the sender and recipients before it builds the message)
    and again when it is built (for any set since)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._one_line_headers()

    def message(self, *args, **kwargs):
        self._one_line_headers()
        return super().message(*args, **kwargs)

    def _one_line_headers(self):
        self.subject = one_line(self.subject)
        self.from_email = one_line(self.from_email)
        self.to, self.cc, self.reply_to = ([one_line(address) for address in addresses]
                                           for addresses in (self.to, self.cc, self.reply_to))
        self.extra_headers = {one_line(name): one_line(value) for name, value in self.extra_headers.items()}


class EmailMessage(OneLineHeaders, mail.EmailMessage):
    pass


class EmailMultiAlternatives(OneLineHeaders, mail.EmailMultiAlternatives):
    pass
