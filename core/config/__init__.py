"""Config as code: what a super admin defines (monitors, channels, alert rules …) kept in a YAML file.

`plan_file` reads and checks a whole file and returns the changes it asks for, or raises
ConfigError with one line per problem; `apply_plan` makes them in one transaction;
`export_yaml` writes the current rows in the same format. Sections: settings.CONFIG_SECTIONS,
one per top-level key, each owned by the app whose rows it writes.
"""

from core.config.base import Plan
from core.config.document import ConfigError, apply_plan, export_yaml, plan_document, plan_file

__all__ = ["ConfigError", "Plan", "apply_plan", "export_yaml", "plan_document", "plan_file"]
