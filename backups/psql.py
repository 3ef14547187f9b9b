"""Plain SQL dumps through psql, with every backslash meta-command in the dump refused.

psql obeys meta-commands in the file it runs: a dump line `\\! <command>` would run as
Vigil's own OS user, which can read Vigil's secret keys. psql's `\\restrict <key>` (15.14,
16.10, 17.6 and later minor releases) refuses every meta-command until `\\unrestrict
<key>`; Vigil enters that mode with a random key before the first line of the dump, so
nothing in the dump can leave it. The key goes to psql on its standard input, ahead of
the dump, never on a command line (which any local user can read with `ps`). A psql
without `\\restrict` is never used for a restore.
"""

import os
import re
import secrets
import shutil
import threading

from backups.postgres import run_tool

# pg_dump (since the releases that have \restrict) opens and closes its own dumps with
# these; refused or ignored in Vigil's restricted session, they are no error of the dump's.
_OWN_RESTRICT = re.compile(rb"^\\restrict [A-Za-z0-9]+\s*$")
_WRONG_KEY = "error: \\unrestrict: wrong key"
_REFUSED = "error: backslash commands are restricted"
_CLIENT_ERROR = re.compile(r"^(psql: )?error: ")
_LINE = re.compile(r"^psql:<stdin>:(\d+): ")


def can_restrict(*, deadline):
    """Whether the installed psql knows `\\restrict` (read from its own list of commands)."""
    listing = run_tool(["psql", "--help=commands"], deadline=deadline, what="psql --help", check=False).stdout
    return "\\restrict" in listing


def run_restricted(path, *, dbname, env, deadline):
    """Run the SQL file at `path` in `dbname`, meta-commands refused; the psql result,
    its messages numbered by the dump's own lines."""
    key = secrets.token_hex(16)
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", dbname, "-f", "-"]
    reader, writer = os.pipe()
    feeder = threading.Thread(target=_feed, args=(writer, f"\\restrict {key}\n".encode(), path), daemon=True)
    feeder.start()
    try:
        done = run_tool(args, deadline=deadline, env=env, what="psql", check=False, stdin=reader)
    finally:
        os.close(reader)  # a psql that stopped early: the feeder's next write fails, and it ends
        feeder.join()
    return done, _numbered(done.stderr)


def client_errors(messages, path):
    """psql's own errors (not the server's) as (line, message), less those of pg_dump's
    own `\\restrict` lines."""
    errors = [(number, text) for number, text in messages if _CLIENT_ERROR.match(text) and _WRONG_KEY not in text]
    refused = {number for number, text in errors if _REFUSED in text}
    own = _own_restrict_lines(path, refused)
    return [(number, text) for number, text in errors if number not in own]


def label(number, text):
    """A message of psql's, with the line of the dump it is about."""
    return text if number is None else f"line {number}: {text}"


def _feed(writer, first_line, path):
    with open(writer, "wb", buffering=0) as pipe, open(path, "rb") as dump:
        try:
            pipe.write(first_line)
            shutil.copyfileobj(dump, pipe, 1 << 20)
        except BrokenPipeError:
            pass


def _numbered(stderr):
    """(line of the dump, message) for each of psql's messages; our `\\restrict` is line 0."""
    messages = []
    for line in stderr.splitlines():
        if match := _LINE.match(line):
            messages.append((int(match[1]) - 1, line[match.end():]))
        elif line.strip():
            messages.append((None, line))
    return messages


def _own_restrict_lines(path, numbers):
    numbers = {number for number in numbers if number}
    found = set()
    if not numbers:
        return found
    last = max(numbers)
    with open(path, "rb") as dump:
        for number, line in enumerate(dump, start=1):
            if number in numbers and _OWN_RESTRICT.match(line):
                found.add(number)
            if number >= last:
                break
    return found
