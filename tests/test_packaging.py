"""The wheel holds every file the packages read at run time (pyproject.toml, package-data).

The wheel is built from a copy of the checkout's files (git's tracked and untracked, not
its ignored ones), so the checkout gets no build/ or egg-info. The files expected are the
code's own paths: the word lists' constants, each recogniser's artefact record, the demo
knowledge base."""

import hashlib
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import privacy
from bot import knowledge_base
from privacy.redaction import lexicon_de, medical_words, names, recogniser

pytestmark = pytest.mark.embedded_only

SOURCE_ROOT = Path(privacy.__file__).resolve().parent.parent


def _checkout_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=SOURCE_ROOT,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git and a git checkout (the files a wheel is built from)")
    return [name for name in listed.decode().split("\0") if name]


def _runtime_files() -> list[Path]:
    """Every file the code reads from inside its packages, from the code's own paths."""
    paths = [
        names.FREQUENT_WORDS_PATH,
        medical_words.MEDICAL_WORDS_PATH,
        lexicon_de.PLACE_NAMES_PATH,
        lexicon_de.GERMAN_NOUNS_PATH,
        knowledge_base.DEMO_KNOWLEDGE_BASE,
    ]
    for language in recogniser.LANGUAGES:
        directory = recogniser.model_directory(language)
        paths.append(directory / recogniser.ARTEFACT_FILE)
        paths += [directory / name for name in recogniser.artefact_read(directory)["files"]]
    return paths


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    pytest.importorskip("setuptools.build_meta", reason="the build backend (setuptools)")
    source = tmp_path_factory.mktemp("source")
    for name in _checkout_files():
        if (SOURCE_ROOT / name).is_file():  # deleted but not yet committed: not built
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SOURCE_ROOT / name, source / name)
    output = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; "
            "print(build_meta.build_wheel(sys.argv[1]))",
            str(output),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    with zipfile.ZipFile(output / built.stdout.strip().splitlines()[-1]) as archive:
        yield archive


def test_the_wheel_holds_every_file_read_at_run_time(wheel):
    members = set(wheel.namelist())
    expected = {path.relative_to(SOURCE_ROOT).as_posix() for path in _runtime_files()}
    assert len(expected) > 30
    assert expected - members == set()


def test_the_wheel_ships_each_recogniser_exactly_as_its_artefact_record_says(wheel):
    """A file missing, changed or added makes the recogniser refuse to load (artefact_verify)."""
    for language in recogniser.LANGUAGES:
        directory = recogniser.model_directory(language)
        prefix = directory.relative_to(SOURCE_ROOT).as_posix() + "/"
        shipped = {
            name.removeprefix(prefix): hashlib.sha256(wheel.read(name)).hexdigest()
            for name in wheel.namelist()
            if name.startswith(prefix) and name != prefix + recogniser.ARTEFACT_FILE
        }
        assert shipped == recogniser.artefact_read(directory)["files"]


def test_the_wheel_holds_every_data_file_of_the_packages_and_their_licences(wheel):
    """Not only those read at run time: a word list's licence travels with the list."""
    packages = {name.split("/")[0] for name in wheel.namelist() if name.endswith("/__init__.py")}
    data_files = {
        name
        for name in _checkout_files()
        if name.split("/")[0] in packages
        and not name.endswith(".py")
        and (SOURCE_ROOT / name).is_file()
    }
    assert any(name.endswith(".LICENSE") for name in data_files)
    assert data_files - set(wheel.namelist()) == set()


# Run in the installed copy, from outside the checkout: the recognisers and the demo
# knowledge base must come from the installed packages.
INSTALLED_CHECK = """
import json, os, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from bot import knowledge_base
from privacy.redaction import recogniser, text_redact
call_command("check")
print(json.dumps({
    "base_dir": str(settings.BASE_DIR),
    "models": str(recogniser.MODELS_DIR),
    "loaded": [recogniser._load(language) is not None for language in recogniser.LANGUAGES],
    "de": text_redact("Hallo, hier schreibt Jürgen Kowalczyk, meine Bestellung fehlt.",
                      language="de"),
    "en": text_redact("Hi, this is Priya Raghunathan, my parcel never arrived.", language="en"),
    "intents": len(json.loads(knowledge_base.DEMO_KNOWLEDGE_BASE.read_text())["intents"]),
}))
"""


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A venv with the wheel unpacked into it (a pure wheel's install), the dependencies
    from the running interpreter's site-packages; its python."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    wheel.extractall(purelib)
    # A path line only: the dependencies' directory, not its .pth files (nor the checkout's
    # editable install among them).
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _run_installed(python: Path, cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-c", INSTALLED_CHECK],
        cwd=cwd,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
            "DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite3'}",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_wheel_redacts_with_its_own_recognisers_and_passes_the_checks(
    installed, tmp_path
):
    result = _run_installed(installed, tmp_path, SUPPORTDESK_HOME=str(SOURCE_ROOT))

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["base_dir"] == str(SOURCE_ROOT)
    assert Path(report["models"]).is_relative_to(installed.parent.parent)
    assert report["loaded"] == [True, True]
    assert report["de"] == "Hallo, hier schreibt [NAME], meine Bestellung fehlt."
    assert report["en"] == "Hi, this is [NAME], my parcel never arrived."
    assert report["intents"] > 0


def test_the_installed_wheel_without_its_checkout_says_so(installed, tmp_path):
    result = _run_installed(installed, tmp_path)

    assert result.returncode != 0
    assert "set SUPPORTDESK_HOME to the checkout's directory" in result.stderr
