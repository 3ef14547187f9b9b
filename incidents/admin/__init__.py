"""The incidents admin, one module per model family."""

from incidents.admin import events  # noqa: F401
from incidents.admin import sources  # noqa: F401
from incidents.admin import channels  # noqa: F401
from incidents.admin import incidents  # noqa: F401
from incidents.admin import rules  # noqa: F401
from incidents.admin import oncall  # noqa: F401
