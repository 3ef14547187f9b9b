"""The text report of `manage.py verify_backups`."""

SYMBOLS = {"passed": "ok  ", "warning": "WARN", "failed": "FAIL", "skipped": "skip"}


def run_report(source, run):
    lines = [f"{source.name}: {run.status.upper()} ({run.checks_passed} passed, {run.checks_failed} failed, "
             f"{run.duration_seconds:.1f} s)"]
    if run.backup_id:
        lines.append(f"  backup: {run.backup_id}")
    for check in run.verification_details:
        lines.append(f"  [{SYMBOLS.get(check['result'], check['result'])}] {check['name']}: {check['message']}")
    return "\n".join(lines)
