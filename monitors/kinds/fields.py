"""Form fields and pieces several monitor kinds' `Settings` share."""

from django import forms


def text(max_length=None, *, required=False, **kwargs):
    """Text kept as given (not stripped), as the settings columns kept it."""
    return forms.CharField(max_length=max_length, required=required, strip=False, **kwargs)


class Address(forms.Form):
    """A host and a port, each required with a message naming the kind (`kind_name`)."""

    kind_name = ""

    host = text(255)
    port = forms.IntegerField(required=False, min_value=0, max_value=65535)

    def clean_host(self):
        if not self.cleaned_data.get("host"):
            raise forms.ValidationError(f"A {self.kind_name} monitor needs a host.", code="missing")
        return self.cleaned_data["host"]

    def clean_port(self):
        if not self.cleaned_data.get("port"):
            raise forms.ValidationError(f"A {self.kind_name} monitor needs a port.", code="missing")
        return self.cleaned_data["port"]
