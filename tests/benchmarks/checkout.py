"""Running a benchmark script as an operator would, and the checkout's var/ before and
after: a benchmark must leave an installation's files alone (issue 27)."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from benchmarks.isolation import WRITABLE_SETTINGS

ROOT = Path(settings.BASE_DIR)
VAR = ROOT / "var"


# Test runs' own per-run files in var/ (supportdesk.settings.test names them after the
# run): this run's and those of test runs beside it, none of them an installation's.
TEST_RUN_PATTERNS = (
    "test-*.sqlite3*",
    "celery-test-*",
    "media-test-*",
    "erasure-ledger-test-*",
    "test-artifacts",
)


def var_snapshot() -> dict[str, tuple]:
    """Every folder and file of the checkout's var/ (less test runs'): size and mtime."""
    found: dict[str, tuple] = {}
    if not VAR.exists():
        return found
    for top in VAR.iterdir():
        if any(top.match(pattern) for pattern in TEST_RUN_PATTERNS):
            continue
        paths = [top, *top.rglob("*")] if top.is_dir() else [top]
        for path in paths:
            stat = path.lstat()
            found[str(path)] = ("folder",) if path.is_dir() else (stat.st_size, stat.st_mtime_ns)
    return found


def script_run(*arguments: str, timeout: int) -> subprocess.CompletedProcess:
    environment = {**os.environ}
    # The checkout's own settings, as an operator would run the script; no test overrides.
    for name in ("DJANGO_SETTINGS_MODULE", *WRITABLE_SETTINGS):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
