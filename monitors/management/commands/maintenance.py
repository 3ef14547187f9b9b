"""`manage.py maintenance start|end|list`: maintenance windows from deploy scripts.

    manage.py maintenance start deploy --tag web --for 30m --note "release 4.2"
    ./deploy.sh
    manage.py maintenance end deploy
"""

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.durations import human_duration, parse_duration
from incidents.config import missing_names
from monitors.maintenance import maintenance_end, maintenance_start
from monitors.models import MaintenanceWindow, Monitor, Tag


class Command(BaseCommand):
    help = "Start, end or list maintenance windows: while one covers a monitor, nothing alerts about it."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{start,end,list}")
        start = actions.add_parser(
            "start", help="Start a one-off window now (reusing the one-off window of that name, if any)."
        )
        start.add_argument("name")
        start.add_argument(
            "--monitor", action="append", default=[], metavar="NAME", help="A monitor it covers (repeat for more)."
        )
        start.add_argument(
            "--tag", action="append", default=[], metavar="TAG", help="Covers the monitors tagged so (repeat for more)."
        )
        start.add_argument("--all", action="store_true", dest="all_monitors", help="Covers every monitor.")
        start.add_argument(
            "--for", dest="duration", metavar="DURATION", help="How long, e.g. 30m or 2h (default: until ended)."
        )
        start.add_argument("--note", default="", help="Why, for the team (admin page); never public.")
        start.add_argument("--public-note", default="", help="What the public status page says about it.")
        end = actions.add_parser("end", help="End a one-off window now.")
        end.add_argument("name")
        actions.add_parser("list", help="The windows, each active now or with its next start.")

    def handle(self, *, action, **options):
        getattr(self, f"handle_{action}")(**options)

    # start -----------------------------------------------------------------------

    def handle_start(self, *, name, monitor, tag, all_monitors, duration, note, public_note, **options):
        seconds = _duration(duration)
        missing = [*_missing(Monitor, "monitor", monitor), *_missing(Tag, "tag", tag)]
        if missing:
            raise CommandError(f"{'; '.join(missing)}. Nothing was changed.")
        monitors = list(Monitor.objects.filter(name__in=monitor))
        tags = list(Tag.objects.filter(name__in=tag))
        if not (monitors or tags or all_monitors):
            raise CommandError("Say what the window covers: --monitor NAME, --tag TAG or --all.")
        try:
            window = maintenance_start(
                name=name, monitors=monitors, tags=tags, all_monitors=all_monitors, duration=seconds, note=note,
                public_note=public_note,
            )
        except ValidationError as exc:
            raise CommandError(f"Cannot start {name!r}: {' '.join(exc.messages)}") from exc
        until = f"until {_moment(window.ends)} ({human_duration(seconds)})" if window.ends else (
            f"until `manage.py maintenance end {name}`"
        )
        self.stdout.write(f'Maintenance "{name}" started: covers {_covers(window)}, {until}.')

    # end -------------------------------------------------------------------------

    def handle_end(self, *, name, **options):
        if maintenance_end(name=name):
            self.stdout.write(f'Maintenance "{name}" ended; alerts are back on for what it covered.')
            return
        window = MaintenanceWindow.objects.filter(name=name).first()
        if window is None:
            names = MaintenanceWindow.objects.values_list("name", flat=True)
            raise CommandError(f"Cannot end: {next(missing_names('maintenance window', [name], names))}.")
        if window.recurring:
            raise CommandError(f'Cannot end "{name}": it is a recurring window, which ends on its own.')
        raise CommandError(f'Cannot end "{name}": it is not active now.')

    # list ------------------------------------------------------------------------

    def handle_list(self, **options):
        now = timezone.now()
        windows = MaintenanceWindow.objects.prefetch_related("monitors", "tags").order_by("name")
        if not windows:
            self.stdout.write("No maintenance windows.")
        for window in windows:
            self.stdout.write(f"{window.name}: {_state(window, now)}; {_schedule(window)}; covers {_covers(window)}")


def _duration(text):
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise CommandError(f"--for: {exc}") from None
    if seconds <= 0:
        raise CommandError("--for: must be longer than 0s (leave --for out for a window that lasts until ended)")
    return seconds


def _missing(model, noun, names):
    """A problem per name no row has, with the closest name."""
    if not names:
        return []
    return list(missing_names(noun, names, model.objects.values_list("name", flat=True)))


def _covers(window):
    if window.all_monitors:
        return "every monitor"
    names = sorted(monitor.name for monitor in window.monitors.all())
    names += sorted(f"#{tag.name}" for tag in window.tags.all())
    return ", ".join(names) or "nothing"


def _moment(moment, zone=None):
    local = moment.astimezone(ZoneInfo(zone)) if zone else timezone.localtime(moment)
    return local.strftime("%Y-%m-%d %H:%M %Z")


def _state(window, now):
    started = window.current_start(now)
    if started is not None:
        if window.recurring:
            return f"active now, until {_moment(window.end_of(started), window.timezone)}"
        return f"active now, until {_moment(window.ends)}" if window.ends else "active now, until ended"
    following = window.next_start(now)
    if following is not None:
        return f"next start {_moment(following, window.timezone if window.recurring else None)}"
    return f"over (ended {_moment(window.ends)})" if window.ends else "over"


def _schedule(window):
    if window.recurring:
        return f'recurring "{window.cron}" in {window.timezone}, {human_duration(window.duration)} each'
    return "one-off"
