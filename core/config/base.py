"""What every config section shares: problems, planned changes, and rows matched by name.

A section owns one top-level key of the file. It parses its items (only what YAML can get
wrong), plans the changes against the database (validating with the model's own
`full_clean`), applies one change, and exports the current rows.
"""

import copy
from abc import ABC, abstractmethod
import difflib
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError

from core.config.values import as_clause


class Problems:
    """One line per problem: `monitors[2] "api-health": interval: must be at least 20s`.

    Lines come out in file order: the file's own problems first, then item by item.
    """

    def __init__(self, sections=()):
        """`sections`: the sections' keys in file order (else ranked as their problems come)."""
        self._found = []
        self._section_rank = {key: rank for rank, key in enumerate(sections)}

    def add(self, where, message, key=None):
        """`where` is an Item, or a label such as the file's path or a top-level key."""
        label = where.label if isinstance(where, Item) else where
        line = f"{label}: {message}" if key is None else f"{label}: {key}: {message}"
        self._found.append((self._order(where), line))

    @property
    def lines(self):
        return [line for _, line in sorted(self._found, key=lambda found: found[0])]

    def __bool__(self):
        return bool(self._found)

    def _order(self, where):
        if not isinstance(where, Item):
            return (0,)
        return (1, self._section_rank.setdefault(where.section, len(self._section_rank)), where.index)


@dataclass
class Item:
    """One entry of a section's list, with the keys it gave, parsed."""

    section: str
    index: int
    name: str | None
    values: dict = field(default_factory=dict)
    failed: set = field(default_factory=set)  # keys already reported: the model does not judge them again

    @property
    def label(self):
        where = f"{self.section}[{self.index}]"
        return f'{where} "{self.name}"' if self.name else where


@dataclass(frozen=True)
class FileNames:
    """The names each section of the file defines, so one section can check another's references.

    `sections` maps a section's key to the names its items give; a section the file leaves
    out is absent (its rows stay as they are).
    """

    sections: dict = field(default_factory=dict)
    prune: bool = False

    def available(self, section_key, existing):
        """Names a reference may use once the file is applied: the file's own, plus the
        `existing` rows' unless the file's section replaces them (--prune)."""
        defined = set(self.sections.get(section_key, ()))
        if self.prune and section_key in self.sections:
            return defined
        return defined | set(existing)


@dataclass
class Change:
    section: "ModelSection"
    action: str  # "create", "update" or "delete"
    name: str
    fields: tuple = ()
    values: dict = field(default_factory=dict)  # the new values of `fields`
    pk: object = None

    def describe(self, *, dry_run):
        verb = {"create": "created", "update": "updated", "delete": "deleted"}[self.action]
        if dry_run:
            verb = f"would {self.action}"
        line = f'{verb} {self.section.noun} "{self.name}"'
        return f"{line}: {', '.join(self.fields)}" if self.action == "update" else line


@dataclass
class Plan:
    """The changes a file asks for (of one section, or of all of them added up)."""

    changes: list = field(default_factory=list)
    unchanged: int = 0
    kept: int = 0  # rows the file does not name, left alone without --prune

    def add(self, other):
        self.changes += other.changes
        self.unchanged += other.unchanged
        self.kept += other.kept

    def count(self, action):
        return sum(change.action == action for change in self.changes)

    def summary(self, *, dry_run):
        created, updated, deleted = (self.count(action) for action in ("create", "update", "delete"))
        if not self.changes:
            line = f"No changes ({self.unchanged} unchanged)."
        elif dry_run:
            line = (
                f"Dry run, nothing changed: would create {created}, update {updated}, delete {deleted};"
                f" {self.unchanged} unchanged."
            )
        else:
            line = f"{created} created, {updated} updated, {deleted} deleted, {self.unchanged} unchanged."
        if self.kept:
            line += f" {self.kept} not in the file kept (--prune deletes them)."
        return line


class ModelSection(ABC):
    """A list of named mappings, one per row of `model`, matched by `name`.

    Subclasses set `key`, `noun`, `model` and `keys` (a tuple of values.Key) and write
    `save(instance, related)`; `related` maps many-to-many keys to their new value, or is
    empty when those did not change. Rows named by another key (a slug) set `name_key` and
    give the model a `name` property returning it.
    """

    key = ""
    noun = ""
    model = None
    keys = ()
    name_key = "name"

    # Parsing ---------------------------------------------------------------

    def parse(self, raw, problems):
        if not isinstance(raw, list):
            problems.add(self.key, "must be a list")
            return []
        items = [self._parse_item(index, entry, problems) for index, entry in enumerate(raw)]
        items = [item for item in items if item is not None]
        self._check_duplicates(items, problems)
        return items

    def _parse_item(self, index, entry, problems):
        name = entry.get(self.name_key) if isinstance(entry, dict) else None
        item = Item(self.key, index, name if isinstance(name, str) and name else None)
        if not isinstance(entry, dict):
            problems.add(item, "must be a mapping")
            return None
        self._check_keys(item, entry, problems)
        for key in self.keys:
            if key.name in entry and key.name not in item.failed:
                self._parse_value(item, key, entry[key.name], problems)
        return item

    def _check_keys(self, item, entry, problems):
        known = [key.name for key in self.keys]
        for name in entry:
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.add(item, f"unknown key{hint}", key=name)
        for name in self.required():
            if entry.get(name) in (None, ""):
                problems.add(item, "required", key=name)
                item.failed.add(name)

    def _parse_value(self, item, key, raw, problems):
        try:
            item.values[key.name] = key.parse(raw)
        except ValueError as exc:
            problems.add(item, str(exc), key=key.name)
            item.failed.add(key.name)

    def _check_duplicates(self, items, problems):
        first = {}
        for item in filter(lambda item: item.name, items):
            if item.name in first:
                problems.add(item, f"duplicate of {first[item.name].label}", key=self.name_key)
            first.setdefault(item.name, item)

    # Planning ---------------------------------------------------------------

    def plan(self, items, problems, *, prune, names=None):
        existing = {instance.name: instance for instance in self.queryset()}
        plan = Plan()
        names = names or FileNames(prune=prune)
        for item in items:
            self.check_references(item, names, problems)
            if not item.name:  # already a problem; its other fields are still judged
                self._validate(item, self._build(None, self.desired(item)), problems)
                continue
            change = self._plan_item(item, existing.get(item.name), problems)
            if change is None:
                plan.unchanged += 1
            else:
                plan.changes.append(change)
        named = {item.name for item in items if item.name}
        stale = [instance for name, instance in existing.items() if name not in named]
        if prune:
            plan.changes += [Change(self, "delete", instance.name, pk=instance.pk) for instance in stale]
        else:
            plan.kept = len(stale)
        return plan

    def check_references(self, item, names, problems):
        """Report names of other rows (in this file or the database) that will not exist.

        `names` is a FileNames. Rows are looked up by name when the change is applied,
        after the sections before this one have written theirs.
        """

    def _plan_item(self, item, current, problems):
        desired = self.desired(item)
        if current is None:
            fields = tuple(desired)
        else:
            fields = tuple(name for name, value in desired.items() if self.current_value(current, name) != value)
            if not fields:
                return None
        self._validate(item, self._build(current, desired), problems)
        values = {name: desired[name] for name in fields}
        return Change(self, "update" if current else "create", item.name, fields, values, current and current.pk)

    def desired(self, item):
        """The full settings the item asks for: what it gives, defaults for the rest.

        A secret it does not give is left out, so an existing row keeps its value.
        """
        return {
            key.name: item.values.get(key.name, self.default(key.name))
            for key in self.keys
            if key.name in item.values or not key.kept_when_absent
        }

    def _build(self, current, desired):
        instance = copy.copy(current) if current else self.model()
        for name, value in self._split(desired)[0].items():
            setattr(instance, name, value)
        return instance

    def _validate(self, item, instance, problems):
        try:
            instance.full_clean(exclude=[*self.related_names(), *item.failed])
        except ValidationError as exc:
            for name, errors in exc.update_error_dict({}).items():
                if name in item.failed:
                    continue
                for error in errors:
                    key = None if name == NON_FIELD_ERRORS else name
                    problems.add(item, self.describe_error(name, error), key=key)

    def describe_error(self, name, error):
        """The model's message, with limits written the way the file writes them."""
        key = self.key_named(name)
        if key and error.code in ("min_value", "max_value"):
            bound = "at least" if error.code == "min_value" else "at most"
            return f"must be {bound} {key.dump(error.params['limit_value'])}"
        if error.code == "invalid_choice":
            choices = ", ".join(str(value) for value, _ in self.model._meta.get_field(name).choices)
            return f"{error.params['value']!r} is not one of: {choices}"
        return as_clause(error.messages[0])

    # Applying ---------------------------------------------------------------

    def apply(self, change):
        if change.action == "delete":
            self.model.objects.get(pk=change.pk).delete()
            return
        if change.action == "create":
            instance = self.model()
        else:
            instance = self.model.objects.select_for_update().get(pk=change.pk)
        scalars, related = self._split(change.values)
        for name, value in scalars.items():
            setattr(instance, name, value)
        self.save(instance, related)

    @abstractmethod
    def save(self, instance, related):
        """Write one instance through its app's service."""

    # Exporting ---------------------------------------------------------------

    def export(self):
        return [self.export_one(instance) for instance in self.queryset()]

    def export_one(self, instance):
        required = self.required()
        entry = {}
        for key in self.keys:
            value = self.current_value(instance, key.name)
            if not key.secret and (key.name in required or value != self.default(key.name)):
                entry[key.name] = key.dump(value)
        return entry

    # Model facts ---------------------------------------------------------------

    def queryset(self):
        many = [name for name in self.related_names() if self.model_field(name)]
        return self.model.objects.prefetch_related(*many).order_by(self.name_key)

    def current_value(self, instance, name):
        """A column's value; for a many-to-many key, the sorted names (str) of the related rows."""
        if name in self.related_names():
            return sorted(str(related) for related in getattr(instance, name).all())
        return getattr(instance, name)

    def default(self, name):
        model_field = self.model._meta.get_field(name)
        return [] if model_field.many_to_many else model_field.get_default()

    def required(self):
        """Keys whose column has no default and may not be blank (always `name`)."""
        fields = [self.model_field(key.name) for key in self.keys]
        return [f.name for f in fields if f and not (f.has_default() or f.blank or f.null)]

    def related_names(self):
        """Keys saved apart from the row's columns, by `save`: many-to-many fields, and keys
        that are no field of the model (a subclass gives their `default` and `current_value`)."""
        fields = {key.name: self.model_field(key.name) for key in self.keys}
        return [name for name, model_field in fields.items() if model_field is None or model_field.many_to_many]

    def model_field(self, name):
        try:
            return self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def key_named(self, name):
        return next((key for key in self.keys if key.name == name), None)

    def _split(self, values):
        related = self.related_names()
        scalars = {name: value for name, value in values.items() if name not in related}
        return scalars, {name: value for name, value in values.items() if name in related}

