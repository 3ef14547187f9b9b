"""The "Running it in production" recipe (docs/production.md), followed literally, passes Django's deploy checks."""

import os
import re
import secrets
import shlex
import subprocess
import sys

from tests.support.processes import ROOT



def recipe_environment():
    """The variables the recipe's `export` lines set, placeholders (`<…>`) filled in."""
    section = (ROOT / "docs" / "production.md").read_text()
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env = {}
    for line in block.splitlines():
        words = shlex.split(_filled(line), comments=True)
        if words[:1] == ["export"]:
            env.update(word.split("=", 1) for word in words[1:])
    return env


def _filled(line):
    return re.sub(r"<[^>]*>", lambda _: secrets.token_urlsafe(40), line)


def test_the_recipe_sets_the_security_settings():
    env = recipe_environment()

    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_HSTS_SECONDS"} <= set(env)
    assert "<" not in env["SECRET_KEY"]


def test_the_production_recipe_passes_the_deploy_checks(tmp_path):
    """Only the recipe's variables (and a PATH): nothing from the test run leaks in."""
    env = {"PATH": os.environ["PATH"], "VIGIL_VAR_DIR": str(tmp_path), **recipe_environment()}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
