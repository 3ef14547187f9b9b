"""The API's pagination: `?limit=` and `?offset=`, refused with a 400 when they are not
whole numbers in range, instead of DRF's silent fallback to the defaults."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 2**63 - 1  # the databases' OFFSET is a signed 64-bit integer


class StrictLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request):
        return _whole_number(request, self.limit_query_param, self.default_limit, 1, MAX_LIMIT)

    def get_offset(self, request):
        return _whole_number(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, MAX_LIMIT), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"].update(minimum=low, maximum=high)
        return parameters


def _whole_number(request, name, default, low, high):
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise ValidationError({name: [f"give {name} once"]})
    value = values[0]
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or not low <= int(value) <= high:
        raise ValidationError({name: [f"must be a whole number from {low} to {high}, not {value!r}"]})
    return int(value)
