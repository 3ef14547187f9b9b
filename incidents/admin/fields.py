"""Form fields the incidents admin pages share."""

from django import forms
from django.core.exceptions import ValidationError

from incidents.sources.routing_keys import event_source_tags


class TagsField(forms.CharField):
    """A list of source tags edited as one comma-separated line."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        tags = [tag.strip() for tag in (super().to_python(value) or "").split(",") if tag.strip()]
        try:
            return event_source_tags(tags)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
