"""The OpenAPI schema's defaults for every API view, declared once.

drf-spectacular describes each view's success answer; the errors DRF itself gives (a
validation error, no or bad credentials, no permission, no such object, a throttle) are
added here, so the schema declares every status an endpoint can answer with, without
each view repeating them. A view's own declaration of a status wins.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer):
    """DRF's answer to a refused request: 401, 403, 404, 405, 415, 429."""

    detail = serializers.CharField()


VALIDATION_ERRORS = {
    "type": "object",
    "description": (
        'A 400: the input\'s problems by field name ("non_field_errors" for the whole input, '
        '"detail" for a bad request), each a list of messages (an object for a nested field).'
    ),
    "additionalProperties": {},
}

RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait before the next request."}


class VigilAutoSchema(AutoSchema):
    """Adds the error answers DRF gives to the answers each view declares."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_codes():
            if code not in responses:
                responses[code] = self._error_response(code, description)
        return responses

    def _error_codes(self):
        public = self._is_public()
        codes = []
        if self._takes_input():
            codes.append(("400", "The input is invalid."))
        if not public:
            codes += [("401", "No or bad credentials."), ("403", "Signed in without the role this needs.")]
        if self._has_path_parameters():
            codes.append(("404", "No such object."))
        if self.view.get_throttles():
            codes.append(("429", "Too many requests from this address; `Retry-After` says when to retry."))
        return codes

    def _error_response(self, code, description):
        if code == "400":
            schema = VALIDATION_ERRORS
        else:
            schema = self.resolve_serializer(ErrorSerializer, "response").ref
        response = {"description": description, "content": {"application/json": {"schema": schema}}}
        if code == "429":
            response["headers"] = {"Retry-After": RETRY_AFTER}
        return response

    def _takes_input(self):
        """A body, or query parameters (pagination) the view validates."""
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        return has_body or bool(self._get_pagination_parameters())

    def _has_path_parameters(self):
        return "{" in self.path

    def _is_public(self):
        return any(isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions())

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A writable string that may not be blank says so (`minLength: 1`)."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.CharField) and not (field.allow_blank or field.read_only):
            if schema.get("type") == "string":
                schema.setdefault("minLength", 1)
        return schema

    def get_auth(self):
        """Public views (`core.permissions.IsAnyone`) take credentials but need none."""
        auths = super().get_auth()
        if self._is_public() and {} not in auths:
            auths.append({})
        return auths
