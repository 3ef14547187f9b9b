from monitors.admin import maintenance, monitors  # noqa: F401  (registers the admins)
