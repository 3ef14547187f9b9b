"""django-q2 entry points. Thin: they call the runner and the engine."""

from django.conf import settings
from django_q.tasks import async_task

from monitors.retention import prune_history
from monitors.runner import CheckRunner, free_slots
from monitors.slo import evaluate_objectives

RUNNER_GROUP = "check-runner"


def run_checks(slot):
    """Hold runner slot `slot` for a lifetime, then hand it to a successor task."""
    runner = CheckRunner(concurrency=settings.CHECK_CONCURRENCY)
    with runner.stopped_by_sigterm():
        runner.run(slot=slot, lifetime=settings.CHECK_RUNNER_LIFETIME, on_expiry=lambda: start_runner(slot))


def start_runner(slot):
    async_task(
        "monitors.tasks.run_checks",
        slot,
        group=RUNNER_GROUP,
        timeout=settings.CHECK_RUNNER_LIFETIME + settings.CHECK_MAX_TIMEOUT + 60,
        save=False,
    )


def ensure_runners():
    """Periodic: start a runner for every slot whose lease has lapsed (none yet, or a crash)."""
    slots = free_slots()
    for slot in slots:
        start_runner(slot)
    return slots


def check_objectives():
    """Periodic: SLO burn alerts."""
    return evaluate_objectives()


def prune():
    """Daily: drop raw results and rollups past their retention."""
    return prune_history()._asdict()
