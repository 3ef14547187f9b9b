"""The monitoring dashboard, its panels and JSON API, and the KPIs with their weekly report."""
