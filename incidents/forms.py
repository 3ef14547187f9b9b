"""The forms engineers fill in on the incident pages."""

from django import forms
from django.contrib.auth import get_user_model

from incidents.models import ActionItem, Incident, PostMortem, Severity
from incidents.selectors import monitor_sources

PERIODS = [("", "Any time"), ("1", "Last 24 hours"), ("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days")]


class IncidentFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), ("open", "Open"), *Incident.Status.choices])
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    monitor = forms.ChoiceField(required=False)
    period = forms.ChoiceField(required=False, choices=PERIODS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["monitor"].choices = [("", "Any monitor"), *_monitor_choices()]


def _monitor_choices():
    return [(source.key, source.name) for source in monitor_sources()]


class DeclareForm(forms.Form):
    title = forms.CharField(max_length=500)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.P2)
    monitors = forms.MultipleChoiceField(required=False, label="Affected monitors", widget=forms.CheckboxSelectMultiple)
    update = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="First update")
    public = forms.BooleanField(required=False, label="Show this update on the public status page")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["monitors"].choices = _monitor_choices()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Incident.Status.choices)
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Update message")
    public = forms.BooleanField(required=False, label="Public (shown on the status page)")

    def clean(self):
        data = super().clean()
        if data.get("public") and not data.get("message"):
            self.add_error("message", "A public update needs a message.")
        return data


class SeverityForm(forms.Form):
    # Shown under a "Severity" heading, without a label of its own.
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.Select(attrs={"aria-label": "Severity"}))


class PostMortemForm(forms.ModelForm):
    """A draft may be incomplete; publishing needs every field of the template filled in."""

    REQUIRED_TO_PUBLISH = {
        "users_affected": "Say who was affected (a number, or “none”).",
        "features_unavailable": "List the features that were unavailable.",
        "revenue_impact": "Give the revenue impact (or “none”).",
        "root_cause": "The root cause is required to publish.",
        "resolution_steps": "Describe the resolution steps.",
        "prevention": "Say how this will be prevented.",
    }

    class Meta:
        model = PostMortem
        fields = ["users_affected", "features_unavailable", "revenue_impact", "root_cause", "resolution_steps",
                  "prevention", "public_link"]
        widgets = {name: forms.Textarea(attrs={"rows": 4})
                   for name in ("features_unavailable", "root_cause", "resolution_steps", "prevention")}
        labels = {"public_link": "Link it from the public status page once published"}
        help_texts = {"public_link": ""}  # the label says it all

    def __init__(self, *args, publishing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.publishing = publishing

    def clean(self):
        data = super().clean()
        if self.publishing:
            for name, message in self.REQUIRED_TO_PUBLISH.items():
                if not (data.get(name) or "").strip():
                    self.add_error(name, message)
        return data


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["description", "owner", "owner_name", "due_date", "done"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"owner_name": "or owner's name"}
        help_texts = {"owner_name": ""}  # the column's heading says it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("owner") and not data.get("owner_name"):
            self.add_error("owner", "Give each action item an owner.")
        return data


class BaseActionItemFormSet(forms.BaseInlineFormSet):
    """The items are the rows of a table whose column headings are the labels, so each
    input is named for screen readers: "Owner, item 2"."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "" if index is None else f", item {index + 1}"  # None: the empty form
        for field in form.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs["aria-label"] = f"{field.label}{row}"


ActionItemFormSet = forms.inlineformset_factory(PostMortem, ActionItem, form=ActionItemForm,
                                                formset=BaseActionItemFormSet, extra=2, can_delete=True)
