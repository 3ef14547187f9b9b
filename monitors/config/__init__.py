"""The monitors' sections of the configuration file: monitors (monitor.py) and maintenance windows
(maintenance.py)."""
