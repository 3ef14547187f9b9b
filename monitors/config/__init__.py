"""Config as code: monitors (and later channels, rules, …) kept in a YAML file.

`plan_file` reads and checks a whole file and returns the changes it asks for, or raises
ConfigError with one line per problem; `apply_plan` makes them in one transaction;
`export_yaml` writes the current rows in the same format. Sections: document.SECTIONS.
"""

from monitors.config.base import Plan
from monitors.config.document import ConfigError, apply_plan, export_yaml, plan_document, plan_file

__all__ = ["ConfigError", "Plan", "apply_plan", "export_yaml", "plan_document", "plan_file"]
