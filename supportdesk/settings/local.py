"""`make run`: the embedded default (SQLite, in-memory channel layer, filesystem broker).

Keys come from .env, which `make run` writes once with fresh random values
(scripts/write_dev_env.py); nothing secret is committed.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BLIND_INDEX_KEY, FIELD_ENCRYPTION_KEY, SECRET_KEY, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_missing = [
    name
    for name, value in [
        ("DJANGO_SECRET_KEY", SECRET_KEY),
        ("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY),
        ("BLIND_INDEX_KEY", BLIND_INDEX_KEY),
    ]
    if not value
]
if _missing:
    raise ImproperlyConfigured(
        f"Missing {', '.join(_missing)}. Run `make env` (or `make run`) to write a .env "
        "with fresh development keys, or set them in the environment."
    )
