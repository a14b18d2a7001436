"""A Celery worker whose export, training and retention runs stop in the middle.

`python -m tests.supportdesk.slow_worker <celery worker arguments>`: each of the three
writes a marker file into SLOW_WORKER_MARKERS once it is under way, then sleeps, so a test
can kill -9 the worker (main process and children) mid-run. The patches are made in the
main process before the pool forks, so every child has them.
"""

import os
import sys
import time
from pathlib import Path

import django

SLEEP_SECONDS = 120


def _stalled(name: str, original):
    def stalled(*args, **kwargs):
        (Path(os.environ["SLOW_WORKER_MARKERS"]) / name).touch()
        time.sleep(SLEEP_SECONDS)
        return original(*args, **kwargs)

    return stalled


def main() -> None:
    django.setup()
    from bot import learning
    from privacy.services import requests, retention
    from supportdesk.celery import app

    # Inside each run: the export after its job started, training after its record was
    # made, the purge after its run was recorded.
    requests.data_export_archive = _stalled("export", requests.data_export_archive)
    learning.intent_model_build = _stalled("training", learning.intent_model_build)
    retention.retention_handler_get = _stalled("retention", retention.retention_handler_get)
    app.worker_main(["worker", *sys.argv[1:]])


if __name__ == "__main__":
    main()
