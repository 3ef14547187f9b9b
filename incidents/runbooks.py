"""Runbooks: which one applies to an event or an incident, its link, and its safe rendering.

The most specific runbook wins: one naming the source, then one sharing a tag with it, then
one attached to a matching alert rule (ties: by title). An alert rule's own `runbook_url`
still wins over all of them where a notification is written (it was set on purpose).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from core.permissions import role_required
from core.roles import Role
from incidents.models import AlertRule, Runbook, Source

# "js-default": CommonMark plus tables and strikethrough, raw HTML off (shown as text), and
# links checked by markdown-it (javascript:, vbscript:, file: and data: other than images refused).
_markdown = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text):
    """HTML for a runbook's Markdown: safe to put in a page, since raw HTML is escaped."""
    return mark_safe(_markdown.render(text or ""))  # noqa: S308 (html is off: markdown-it escapes it)


def runbook_url(runbook):
    return settings.VIGIL_BASE_URL + runbook.get_absolute_url()


class RunbookIndex:
    """Every runbook with what it attaches to, read once (three queries) and matched in memory."""

    def __init__(self, runbooks):
        self.entries = [
            (
                runbook,
                {source.pk for source in runbook.sources.all()},
                set(runbook.tags or []),
                {rule.pk for rule in runbook.rules.all()},
            )
            for runbook in runbooks
        ]

    def pick(self, source, rules):
        """The most specific runbook for an event of `source` routed by `rules`, or None."""
        source_id = source.pk if source is not None else None
        tags = set(source.tags or []) if source is not None else set()
        rule_ids = {rule.pk for rule in rules}
        for matches in (
            lambda sources, _tags, _rules: source_id in sources,
            lambda _sources, runbook_tags, _rules: bool(tags & runbook_tags),
            lambda _sources, _tags, runbook_rules: bool(rule_ids & runbook_rules),
        ):
            found = [runbook for runbook, *attached in self.entries if matches(*attached)]
            if found:
                return found[0]
        return None

    def url_for(self, source, rules):
        runbook = self.pick(source, rules)
        return runbook_url(runbook) if runbook else ""


def load():
    return RunbookIndex(Runbook.objects.prefetch_related("sources", "rules").order_by("title"))


def runbook_for_incident(incident):
    """The runbook for an incident's page (its source and its rules), or None."""
    source = Source.objects.filter(key=incident.source_key).first() if incident.source_key else None
    return load().pick(source, list(incident.rules.all()))


def runbook_link(source_key, rules):
    """The link a notification carries: a rule's own runbook_url first, else the page that
    shows the runbook matching this source and these rules when it is opened.

    Resolved when opened, not when the message is written: writing a notification costs no
    query, and a runbook written after the alert is still found from the old message.
    """
    explicit = [rule.runbook_url for rule in rules if rule.runbook_url]
    if explicit:
        return explicit[0]
    if not source_key and not rules:
        return ""
    query = urlencode({"source": source_key, "rules": ",".join(str(rule.pk) for rule in rules)})
    return f"{settings.VIGIL_BASE_URL}{reverse('runbook-match')}?{query}"


def _page(request, runbook):
    body = render_markdown(runbook.body) if runbook else ""
    return render(request, "incidents/runbook.html", {"runbook": runbook, "body": body})


@role_required(Role.STAFF)
def runbook_list(request):
    runbooks = Runbook.objects.prefetch_related("sources", "rules").order_by("title")
    return render(request, "incidents/runbooks.html", {"runbooks": runbooks})


@role_required(Role.STAFF)
def runbook_page(request, pk):
    return _page(request, get_object_or_404(Runbook, pk=pk))


@role_required(Role.STAFF)
def runbook_match(request):
    """The runbook for a notification's source and rules (see `runbook_link`)."""
    source_key = request.GET.get("source", "")
    rule_ids = [int(part) for part in request.GET.get("rules", "").split(",") if part.strip().isdigit()]
    source = Source.objects.filter(key=source_key).first() if source_key else None
    rules = list(AlertRule.objects.filter(pk__in=rule_ids)) if rule_ids else []
    return _page(request, load().pick(source, rules))
