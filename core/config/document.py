"""A whole config file: read it, plan every section, apply the plan in one transaction, export."""

from collections.abc import Hashable
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from core.config.base import FileNames, Plan, Problems

EXPORT_HEADER = (
    "# Vigil configuration: `manage.py apply_config FILE` applies it.\n"
    "# Secrets are left out; apply_config keeps the current ones. Give one as ${ENV_VAR} to set it.\n"
)


class ConfigError(Exception):
    """The file cannot be applied; `lines` says why, one problem a line."""

    def __init__(self, lines):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def sections():
    return [import_string(path)() for path in settings.CONFIG_SECTIONS]


def plan_file(path, *, prune=False):
    return plan_document(read_document(path), prune=prune)


def plan_document(document, *, prune=False):
    """Check everything and work out the changes; raises ConfigError listing every problem."""
    problems = Problems(sections=list(document))
    known = sections()
    names = [section.key for section in known]
    for key in document:
        if key not in names:
            problems.add(key, f"unknown top-level key (known: {', '.join(names)})")
    given = [section for section in known if section.key in document]
    parsed = [(section, section.parse(document[section.key], problems)) for section in given]
    names = FileNames({section.key: [item.name for item in items if item.name] for section, items in parsed}, prune)
    plan = Plan()
    for section, items in parsed:
        plan.add(section.plan(items, problems, prune=prune, names=names))
    if problems:
        raise ConfigError(problems.lines)
    return plan


def apply_plan(plan):
    """All changes or none, in one transaction; each updated row is locked while it is written."""
    upserts = [change for change in plan.changes if change.action != "delete"]
    deletes = [change for change in reversed(plan.changes) if change.action == "delete"]
    try:
        with transaction.atomic():
            for change in upserts + deletes:
                change.section.apply(change)
    except ValidationError as exc:
        raise ConfigError([f"changed while applying ({'; '.join(exc.messages)}); nothing was changed"]) from exc
    except ObjectDoesNotExist as exc:
        raise ConfigError([f"changed while applying ({exc}); nothing was changed"]) from exc


def read_document(path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    document = _load_yaml(path, text)
    if document is None:
        raise ConfigError([f"{path}: the file is empty"])
    if not isinstance(document, dict):
        raise ConfigError([f"{path}: the top level must be a mapping (monitors: ...)"])
    return document


def export_document():
    return {section.key: section.export() for section in sections()}


def export_yaml():
    body = yaml.dump(export_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return EXPORT_HEADER + body


def _load_yaml(path, text):
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError([f"{path}: invalid YAML: {exc.problem or exc.context}{where}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {' '.join(str(exc).split())}"]) from None


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML, but a key given twice in one mapping is an error, not "last one wins"."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (a body, a query) as readable | blocks."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
