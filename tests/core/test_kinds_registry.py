"""core.kinds: the registry of kinds and the validation of a kind's settings document."""

from types import SimpleNamespace

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.kinds import Registry, clean_settings, settings_fields


class _Settings(forms.Form):
    url = forms.URLField(assume_scheme="https")
    token = forms.CharField()
    retries = forms.IntegerField(min_value=0, initial=3, required=False)


KIND = SimpleNamespace(LABEL="Example", Settings=_Settings, SECRETS=("token",))


def test_a_registry_imports_each_kind_once_and_names_unknown_ones():
    kinds = Registry("channel", {"example": "core.durations"})
    assert "example" in kinds and "other" not in kinds
    assert kinds["example"] is kinds["example"]
    with pytest.raises(KeyError, match="unknown channel kind 'other'"):
        kinds["other"]


def test_settings_are_split_into_plain_values_and_secrets():
    assert settings_fields(KIND) == ["url", "token", "retries"]
    plain, secrets = clean_settings(KIND, {"url": "https://example.com/x", "token": "s3cret", "retries": "2"})
    assert plain == {"url": "https://example.com/x", "retries": 2}
    assert secrets == {"token": "s3cret"}


def test_a_blank_secret_keeps_the_stored_one():
    plain, secrets = clean_settings(KIND, {"url": "https://example.com/x", "token": ""}, stored_secrets={"token": "old"})
    assert secrets == {"token": "old"} and plain["retries"] is None


def test_errors_are_per_field_and_never_quote_the_secret():
    with pytest.raises(ValidationError) as caught:
        clean_settings(KIND, {"url": "not a url", "token": ""})
    errors = caught.value.message_dict
    assert set(errors) == {"url", "token"}
    assert "not a url" not in str(errors["token"])
