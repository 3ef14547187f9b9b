"""The `sentry_projects:` section: one mapping per Sentry project, matched by slug.

    sentry_projects:
      - slug: dutycall-backend
        label: backend          # optional: the slug's last hyphenated word
        error_threshold: 50     # errors within the window that raise `error_rate`
        window: 5m
"""

from core.config import values as v
from core.config.base import ModelSection
from core.config.values import Key
from portal.models import SentryProject, default_label


class SentryProjectSection(ModelSection):
    key = "sentry_projects"
    noun = "Sentry project"
    model = SentryProject
    name_key = "slug"
    keys = (
        Key("slug", v.text),
        Key("label", v.text),
        Key("error_threshold", v.integer),
        Key("window", v.whole_duration, v.dump_duration),
    )

    def parse(self, raw, problems):
        """Besides each item's keys: no two projects of the file under one label."""
        items = super().parse(raw, problems)
        first = {}
        for item in filter(lambda item: item.name, items):
            label = item.values.get("label") or default_label(item.name)
            if label in first:
                problems.add(item, f'"{label}" is already the label of {first[label].label}', key="label")
            first.setdefault(label, item)
        return items

    def save(self, instance, related):
        instance.save()
