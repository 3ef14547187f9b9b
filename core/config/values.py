"""Turn YAML values into model values and back; each parser raises ValueError("<why>").

These check only the shape a YAML file can get wrong (types, durations, ${ENV}); what a
value may be is the model's business (`full_clean`).
"""

import os
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from django.core.exceptions import ValidationError

from core.durations import format_duration, parse_duration

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def identity(value):
    return value


@dataclass(frozen=True)
class Key:
    """One key of a config item: how to read it from YAML, and how to write it back."""

    name: str
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any] = identity
    secret: bool = False  # never exported; absent in a file = keep the current value
    keep_when_absent: bool = False  # absent in a file = keep the current value (secrets too)

    @property
    def kept_when_absent(self):
        return self.secret or self.keep_when_absent


def text(value):
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def boolean(value):
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def mapping(value):
    if not isinstance(value, dict):
        raise ValueError("must be a mapping")
    return value


def uuid_value(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError("must be a UUID") from None


def optional(parse):
    """`parse`, but null stays None (for nullable columns)."""
    return lambda value: None if value is None else parse(value)


def duration(value):
    return parse_duration(value)


def whole_duration(value):
    seconds = parse_duration(value)
    if not isinstance(seconds, int):
        raise ValueError("must be a whole number of seconds")
    return seconds


def dump_duration(seconds):
    return None if seconds is None else format_duration(seconds)


def string_list(value):
    """A list of strings (names of other rows, say); sorted, no repeats."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError("must be a list of strings")
    return sorted(set(value))


def slug_list(model_field):
    """A list of names each valid for `model_field` (e.g. Tag.name); sorted, no repeats."""

    def parse(value):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("must be a list of strings")
        for item in value:
            try:
                model_field.clean(item, None)
            except ValidationError as exc:
                raise ValueError(f"{item!r}: {as_clause(exc.messages[0])}") from None
        return sorted(set(value))

    return parse


def from_env(parse):
    """`parse` after replacing each ${NAME} in strings (also inside a mapping) from the environment."""

    def parse_with_env(value):
        if isinstance(value, str):
            value = substitute_env(value)
        elif isinstance(value, dict):
            value = {key: substitute_env(item) if isinstance(item, str) else item for key, item in value.items()}
        return parse(value)

    return parse_with_env


def substitute_env(value):
    def replace(match):
        name = match[1]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REFERENCE.sub(replace, value)


def as_clause(message):
    """Django's "Ensure this value…." as a clause to follow "field: " ("ensure this value…")."""
    message = str(message).strip().rstrip(".")
    first_word = message.split(" ", 1)[0]
    is_acronym = len(first_word) > 1 and first_word.isupper()
    if first_word[:1].isupper() and not is_acronym:
        message = message[0].lower() + message[1:]
    return message
