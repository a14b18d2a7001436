"""Write .env with fresh random development keys, once. Standard library only:
it runs before the virtualenv exists."""

import base64
import os
import secrets
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def main() -> int:
    if ENV_FILE.exists():
        print(f"{ENV_FILE.name} exists, keeping its keys.")
        return 0
    fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    ENV_FILE.write_text(
        "# Development keys written by scripts/write_dev_env.py. Never use them in production.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FIELD_ENCRYPTION_KEY={fernet_key}\n"
        f"BLIND_INDEX_KEY={secrets.token_urlsafe(32)}\n"
    )
    ENV_FILE.chmod(0o600)
    print(f"Wrote {ENV_FILE.name} with fresh development keys.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
