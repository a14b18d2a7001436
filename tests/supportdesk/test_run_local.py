"""`make run` never runs half: the supervisor in scripts/run_local.py, with fake children
(small Python processes) and a fake clock."""

import importlib.util
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from platform_core.heartbeats import SWEEP, job_heartbeat_record

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "run_local.py"
_spec = importlib.util.spec_from_file_location("run_local", SCRIPT)
run_local = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_local)

STAYS = [sys.executable, "-c", "import time; time.sleep(60)"]
DIES = [sys.executable, "-c", "import sys; sys.exit(3)"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def supervised():
    made = []

    def make(specs):
        clock, said = Clock(), []
        supervisor = run_local.Supervisor(specs, clock=clock, say=said.append)
        supervisor.start()
        made.append(supervisor)
        return supervisor, clock, said

    yield make
    for supervisor in made:
        supervisor.stop()


def _dead(process: subprocess.Popen) -> None:
    process.wait(timeout=20)


def _child(supervisor, name):
    return next(child for child in supervisor.children if child.spec.name == name)


def test_a_dead_worker_is_restarted_after_a_backoff_with_a_message(supervised):
    supervisor, clock, said = supervised(
        [run_local.Spec("daphne", STAYS, restart=False), run_local.Spec("worker", STAYS, True)]
    )
    worker = _child(supervisor, "worker")
    first = worker.process
    first.kill()  # kill -9
    _dead(first)

    assert supervisor.step() is None
    assert said == ["worker exited with code -9; restarting it in 1 s."]
    assert worker.process is None  # waiting for its backoff

    clock.now += 1
    assert supervisor.step() is None
    assert said[-1] == "worker restarted."
    assert worker.process is not first and worker.process.poll() is None


def test_the_backoff_doubles_with_each_death(supervised):
    supervisor, clock, said = supervised([run_local.Spec("beat", DIES, restart=True)])
    beat = _child(supervisor, "beat")

    delays = []
    for _ in range(3):
        _dead(beat.process)
        supervisor.step()
        delays.append(said[-1])
        clock.now = beat.start_at
        supervisor.step()

    assert delays == [
        "beat exited with code 3; restarting it in 1 s.",
        "beat exited with code 3; restarting it in 2 s.",
        "beat exited with code 3; restarting it in 4 s.",
    ]


def test_a_child_that_keeps_dying_stops_everything_with_a_message(supervised):
    supervisor, clock, said = supervised(
        [run_local.Spec("daphne", STAYS, restart=False), run_local.Spec("worker", DIES, True)]
    )
    worker, daphne = _child(supervisor, "worker"), _child(supervisor, "daphne")

    code = None
    for _ in range(run_local.GIVE_UP_AFTER):
        _dead(worker.process)
        code = supervisor.step()
        if code is not None:
            break
        clock.now = worker.start_at
        supervisor.step()

    assert code == 3
    assert said[-1].startswith("worker exited with code 3 for the 5th time")
    assert "stopping everything" in said[-1]
    supervisor.stop()
    assert daphne.process.poll() is not None  # nothing left running half


def test_a_dead_daphne_stops_everything(supervised):
    supervisor, clock, said = supervised(
        [run_local.Spec("daphne", DIES, restart=False), run_local.Spec("worker", STAYS, True)]
    )
    _dead(_child(supervisor, "daphne").process)

    code = supervisor.step()
    supervisor.stop()

    assert code == 3
    assert said == [
        "daphne exited with code 3; stopping everything (nothing is served without it)."
    ]
    assert _child(supervisor, "worker").process.poll() is not None


def test_deaths_long_ago_do_not_count_towards_giving_up(supervised):
    supervisor, clock, said = supervised([run_local.Spec("worker", DIES, restart=True)])
    worker = _child(supervisor, "worker")

    for _ in range(run_local.GIVE_UP_AFTER * 2):
        _dead(worker.process)
        assert supervisor.step() is None
        clock.now += run_local.GIVE_UP_WINDOW_SECONDS  # one death per window: unlucky
        supervisor.step()

    assert all("restarting it in 1 s" in line for line in said if "exited" in line)


def test_make_run_supervises_daphne_a_worker_and_a_separate_beat():
    names = {spec.name: spec for spec in run_local.specs()}

    assert set(names) == {"daphne", "celery worker", "celery beat"}
    assert not names["daphne"].restart
    assert names["celery worker"].restart and names["celery beat"].restart
    assert "--beat" not in names["celery worker"].command  # beat is its own process


def test_the_supervisor_stops_children_within_its_timeout():
    supervisor = run_local.Supervisor([run_local.Spec("worker", STAYS, True)], say=lambda _: None)
    supervisor.start()
    started = time.monotonic()

    supervisor.stop()

    assert _child(supervisor, "worker").process.poll() is not None
    assert time.monotonic() - started < run_local.STOP_TIMEOUT_SECONDS


def test_a_worker_that_stopped_doing_its_work_is_killed_and_restarted(supervised):
    # given a worker that runs but whose work stopped (the sweeper's heartbeat is late)
    healthy = {"now": True}
    supervisor, clock, said = supervised(
        [run_local.Spec("worker", STAYS, restart=True, watch=lambda: healthy["now"])]
    )
    worker = _child(supervisor, "worker")
    hung = worker.process
    clock.now += run_local.WATCH_AFTER_START_SECONDS
    assert supervisor.step() is None and worker.process is hung  # still doing its work

    # when the watch fails
    healthy["now"] = False
    clock.now += run_local.WATCH_EVERY_SECONDS
    assert supervisor.step() is None

    # then it is killed (with its children) and restarted after the backoff
    assert hung.poll() is not None
    assert said[0].startswith("worker is running but has stopped doing its work")
    assert said[1] == "worker exited with code -9; restarting it in 1 s."
    clock.now += 1
    supervisor.step()
    assert worker.process is not hung and worker.process.poll() is None


def test_a_worker_is_not_judged_before_it_had_time_to_do_its_work(supervised):
    calls = []
    supervisor, clock, said = supervised(
        [run_local.Spec("worker", STAYS, restart=True, watch=lambda: calls.append(1) or False)]
    )

    clock.now += run_local.WATCH_AFTER_START_SECONDS - 1
    supervisor.step()

    assert calls == [] and said == []


@pytest.mark.django_db(transaction=True)
def test_the_watch_reads_the_sweepers_heartbeat_from_health(live_server):
    job_heartbeat_record(name=SWEEP)
    assert run_local.sweeper_on_time(live_server.url) is True

    job_heartbeat_record(name=SWEEP, now=timezone.now() - timedelta(days=1))
    assert run_local.sweeper_on_time(live_server.url) is False
    # nothing answering: not judged (daphne is watched on its own)
    assert run_local.sweeper_on_time("http://127.0.0.1:9") is True


def test_site_url_follows_the_port_when_it_is_not_set():
    import os

    environment = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    environment.update(PORT="8123", DJANGO_SETTINGS_MODULE="supportdesk.settings.test")
    printed = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert printed == "http://127.0.0.1:8123"


@pytest.mark.embedded_only
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_everything_without_an_error(tmp_path):
    """Ctrl-C (SIGINT to the supervisor; its children run in their own sessions, so the
    terminal's signal reaches only it) stops daphne, the worker and beat: exit code 0 and
    no ERROR line such as "exited with signal 15"."""
    import os
    import signal
    import urllib.request

    from tests.processes import free_port, process_environment

    port = str(free_port())
    output = tmp_path / "run.log"
    environment = process_environment(PORT=port, CELERY_DATA_DIR=str(tmp_path / "celery"))
    with output.open("w") as log:
        run = subprocess.Popen(
            [sys.executable, "scripts/run_local.py"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/chat/", timeout=2)
                    break
                except OSError:
                    assert run.poll() is None and time.monotonic() < deadline, output.read_text()
                    time.sleep(0.5)
            time.sleep(3)  # the worker and beat finish starting

            run.send_signal(signal.SIGINT)
            code = run.wait(timeout=run_local.STOP_TIMEOUT_SECONDS + 10)
        finally:
            if run.poll() is None:
                os.kill(run.pid, signal.SIGKILL)

    text = output.read_text()
    assert code == 0, text
    assert " ERROR " not in text and "signal 15" not in text, text
