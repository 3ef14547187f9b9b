"""The incident pages: the engineers' pages under /incidents/ (Staff read, Engineers and super
admins write), and acknowledging from the signed link in a message."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.permissions import by_link, public, role_required
from core.roles import Role, has_role
from incidents import selectors
from incidents.forms import ActionItemFormSet, DeclareForm, IncidentFilterForm, PostMortemForm, SeverityForm, StatusForm
from incidents.lifecycle import incident_acknowledge, incident_resolve
from incidents.links import incident_pk_from_token
from incidents.models import Incident, PostMortem
from incidents.postmortem_markdown import incident_facts, postmortem_markdown
from incidents.postmortems import postmortems_due
from incidents.runbooks import runbook_for_incident
from incidents.updates import incident_declare, incident_set_severity, incident_update, postmortem_save

PAGE_SIZE = 50
BAD_LINK = (
    "This acknowledgement link is not valid: it may be mangled or expired (links last 7 days), "
    "or its incident was deleted."
)


def _filtered(form):
    incidents = Incident.objects.all()
    if not form.is_valid():
        return incidents
    data = form.cleaned_data
    if data["status"] == "open":
        incidents = incidents.exclude(status=Incident.Status.RESOLVED)
    elif data["status"]:
        incidents = incidents.filter(status=data["status"])
    if data["severity"]:
        incidents = incidents.filter(severity=data["severity"])
    if data["monitor"]:
        incidents = incidents.filter(Q(source_key=data["monitor"]) | Q(timeline__event__source_key=data["monitor"]))
    if data["period"]:
        incidents = incidents.filter(opened_at__gte=timezone.now() - timedelta(days=int(data["period"])))
    if data["q"]:
        incidents = incidents.filter(Q(ref__icontains=data["q"]) | Q(title__icontains=data["q"]))
    return incidents.distinct()


@role_required(Role.STAFF)
@require_GET
def incident_list(request):
    form = IncidentFilterForm(request.GET or None)
    page = Paginator(_filtered(form).order_by("-opened_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    due = postmortems_due()
    names = selectors.source_names([incident.source_key for incident in [*page, *due]])
    return render(request, "incidents/list.html", {
        "form": form, "page": page, "names": names, "postmortems_due": due,
        "can_write": has_role(request.user, Role.ENGINEER), "query": _query_without_page(request),
    })


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(Role.ENGINEER)
@require_http_methods(["GET", "POST"])
def incident_new(request):
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = incident_declare(title=data["title"], severity=data["severity"], source_keys=data["monitors"],
                                    update=data["update"], public=data["public"], user=request.user)
        messages.success(request, f"{incident.ref} declared.")
        return redirect("incidents-page", ref=incident.ref)
    return render(request, "incidents/new.html", {"form": form})


def _incident(ref):
    return get_object_or_404(Incident.objects.select_related("acknowledged_by"), ref=ref)


def _detail_context(request, incident, **forms):
    timeline = list(incident.timeline.select_related("event", "notification__channel", "user"))
    keys = {incident.source_key} | {entry.event.source_key for entry in timeline if entry.event}
    names = selectors.source_names(key for key in keys if key)
    postmortem = PostMortem.objects.filter(incident=incident).first()
    return {
        "incident": incident, "timeline": timeline,
        "affected": [(key, names[key]) for key in sorted(keys, key=lambda k: names.get(k, "")) if key in names],
        "postmortem": postmortem, "facts": incident_facts(incident),
        "runbook": runbook_for_incident(incident),
        "can_write": has_role(request.user, Role.ENGINEER),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": incident.status}),
        "severity_form": forms.get("severity_form") or SeverityForm(initial={"severity": incident.severity}),
    }


@role_required(Role.STAFF)
@require_GET
def incident_detail(request, ref):
    incident = _incident(ref)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


@role_required(Role.ENGINEER)
@require_POST
def incident_ack(request, ref):
    incident = _incident(ref)
    if incident_acknowledge(incident, user=request.user, via="web"):
        messages.success(request, "Acknowledged.")
    else:
        messages.info(request, "Already acknowledged or resolved.")
    return redirect("incidents-page", ref=ref)


@role_required(Role.ENGINEER)
@require_POST
def incident_status(request, ref):
    incident = _incident(ref)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return render(request, "incidents/detail.html", _detail_context(request, incident, status_form=form), status=400)
    data = form.cleaned_data
    if incident_update(incident, status=data["status"], message=data["message"], public=data["public"], user=request.user):
        messages.success(request, "Update posted.")
    else:
        messages.error(request, "This incident is resolved: it takes no more updates.")
    return redirect("incidents-page", ref=ref)


@role_required(Role.ENGINEER)
@require_POST
def incident_severity(request, ref):
    incident = _incident(ref)
    form = SeverityForm(request.POST)
    if not form.is_valid():
        return render(request, "incidents/detail.html", _detail_context(request, incident, severity_form=form), status=400)
    if incident_set_severity(incident, severity=form.cleaned_data["severity"], user=request.user):
        messages.success(request, f"Severity set to {incident.severity}.")
    return redirect("incidents-page", ref=ref)


@role_required(Role.ENGINEER)
@require_POST
def incident_close(request, ref):
    incident = _incident(ref)
    if incident_resolve(incident, user=request.user, via="web", note=request.POST.get("note", "").strip()):
        messages.success(request, "Resolved.")
    else:
        messages.info(request, "Already resolved.")
    return redirect("incidents-page", ref=ref)


@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def postmortem_edit(request, ref):
    """Staff read the post-mortem here; Engineers save a draft or publish it."""
    incident = _incident(ref)
    postmortem = PostMortem.objects.filter(incident=incident).first() or PostMortem(incident=incident)
    can_write = has_role(request.user, Role.ENGINEER)
    if request.method == "POST" and not can_write:
        raise PermissionDenied
    publish = "publish" in request.POST
    data = request.POST if request.method == "POST" else None
    form = PostMortemForm(data, instance=postmortem, publishing=publish or postmortem.is_published)
    items = ActionItemFormSet(data, instance=postmortem, prefix="items")
    if data is not None and form.is_valid() and items.is_valid():
        postmortem_save(form=form, items=items, user=request.user, publish=publish)
        messages.success(request, "Post-mortem published." if publish else "Post-mortem saved.")
        return redirect("incidents-postmortem", ref=ref)
    if data is not None:
        messages.error(request, "The post-mortem was not saved: see the messages below.")
    return render(request, "incidents/postmortem.html", {
        "incident": incident, "postmortem": postmortem, "form": form, "items": items,
        "facts": incident_facts(incident), "can_write": can_write,
    }, status=400 if data is not None else 200)


@role_required(Role.STAFF)
@require_GET
def postmortem_export(request, ref):
    postmortem = get_object_or_404(PostMortem.objects.select_related("incident"), incident__ref=ref)
    response = HttpResponse(postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ref}-postmortem.md"'
    return response


@public
@require_GET
def postmortem_public(request, ref):
    """A published post-mortem its authors chose to link publicly; 404 otherwise. The
    incident's own title may hold error details, so the page shows the reference only."""
    postmortem = get_object_or_404(
        PostMortem.objects.select_related("incident"),
        incident__ref=ref, status=PostMortem.Status.PUBLISHED, public_link=True,
    )
    return render(request, "incidents/postmortem_public.html", {
        "postmortem": postmortem, "facts": incident_facts(postmortem.incident),
    })


@by_link
@require_http_methods(["GET", "POST"])
def acknowledge(request, token):
    """Acknowledge from the signed link in a message. The link is the credential: no login.

    Link unfurlers and mail scanners fetch links, so a GET only shows the incident and a
    button; the POST (with its CSRF token) acknowledges.
    """
    pk = incident_pk_from_token(token)
    incident = Incident.objects.filter(pk=pk).first() if pk is not None else None
    if incident is None:
        return render(request, "incidents/acknowledge.html", {"problem": BAD_LINK}, status=400 if pk is None else 404)
    done = None
    if request.method == "POST":
        done = incident_acknowledge(incident, via="link")
    return render(request, "incidents/acknowledge.html", {"incident": incident, "done": done})
