"""The check-engine benchmark: `python -m bench --help`."""
