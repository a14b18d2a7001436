import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.benchmarks.checkout import script_run, var_snapshot


@dataclass(frozen=True)
class PreparedWorkdir:
    """A chat benchmark's workdir prepared once (migrated, the demo data, trained demo
    models: about 90 s of CPU), and the checkout's var/ before and after preparing it."""

    path: Path
    var_before: dict[str, tuple]
    var_after: dict[str, tuple]

    def copy(self, destination: Path) -> Path:
        """A copy to run a benchmark on (--workdir): it writes to its database."""
        return Path(shutil.copytree(self.path, destination))


@pytest.fixture(scope="session")
def prepared_chat_workdir(tmp_path_factory) -> PreparedWorkdir:
    # Prepared as a benchmark run prepares its own (chat_load.py's preparation, in a
    # process with the operator's environment), so test_isolation still sees whether
    # demo_setup --force there leaves var/ alone.
    path = tmp_path_factory.mktemp("prepared-chat-workdir")
    before = var_snapshot()
    result = script_run(
        "-c",
        "import sys, argparse, pathlib;"
        "from benchmarks.chat_load import _workdir_environment;"
        "_workdir_environment(argparse.Namespace(services=False), pathlib.Path(sys.argv[1]))",
        str(path),
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return PreparedWorkdir(path, var_before=before, var_after=var_snapshot())
