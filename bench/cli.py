"""The bench's one command line: the options every runner shares, and how a runner's child
process (one scenario on one database, Django set up on its own database) is started."""

import argparse
import signal


def parser(prog, description, *, quick, keep):
    """An argument parser with the options common to `python -m bench` and its `pages` runner
    (`quick` and `keep`: each runner's help text for --quick and --keep)."""
    result = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    result.add_argument("--quick", action="store_true", help=quick)
    result.add_argument("--keep", action="store_true", help=keep)
    result.add_argument("--child", help=argparse.SUPPRESS)
    result.add_argument("--out", help=argparse.SUPPRESS)
    return result


def add_history_sizes(result, monitors, days, gen_workers):
    """--monitors, --days and --gen-workers (the size of the generated history), with each
    runner's help text."""
    result.add_argument("--monitors", type=int, help=monitors)
    result.add_argument("--days", type=int, help=days)
    result.add_argument("--gen-workers", type=int, help=gen_workers)


def dbs(args):
    return ["sqlite", "postgres"] if args.db == "both" else [args.db]


def _interrupt(*_):
    raise KeyboardInterrupt


def stop_on_sigterm():
    """A child stopped by its parent cleans up as on Ctrl-C (its database, its processes)."""
    signal.signal(signal.SIGTERM, _interrupt)
