"""Serializer fields stricter than DRF's own."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string, as the schema says: DRF's CharField would turn `0` or `true` into "0", "True"."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
