"""postgres checker."""
