"""German and English ship: every translatable string has a German translation."""

import os
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

LANGUAGES_SHIPPED = ["de", "en"]


def _statistics(po_file) -> str:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr


SOURCE_DIRS = [
    "supportdesk",
    "platform_core",
    "event_pipeline",
    "bot",
    "agents",
    "privacy",
    "staff",
    "helpcentre",
    "email_channel",
    "templates",
    "static",
]


@pytest.fixture
def fresh_catalogue(tmp_path, settings):
    """The committed German catalogue, merged with every string in today's source.

    Runs on a copy: makemessages writes into whatever locale folder sits
    beside the files it scans.
    """
    skip = shutil.ignore_patterns("__pycache__", "fixtures", "migrations")
    for name in SOURCE_DIRS:
        shutil.copytree(settings.BASE_DIR / name, tmp_path / name, ignore=skip)
    shutil.copytree(settings.BASE_DIR / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command("makemessages", locale=["de"], verbosity=0)
    finally:
        os.chdir(cwd)
    return tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"


def test_every_string_in_the_source_has_a_german_translation(fresh_catalogue):
    statistics = _statistics(fresh_catalogue)

    assert "untranslated" not in statistics and "fuzzy" not in statistics, (
        f"{statistics.strip()}: run `make makemessages` and translate locale/de."
    )


@pytest.mark.parametrize("language", LANGUAGES_SHIPPED)
def test_every_shipped_language_has_a_catalogue(language):
    assert (settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po").exists()
