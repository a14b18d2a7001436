#!/bin/sh
# Print the newest Python >= 3.12 on this machine (Django 6 needs it), or fail clearly.
# pyenv shims exist for versions that are installed but not active, so each
# candidate is run, not just looked up; pyenv's own version folders come last.
for candidate in python3.14 python3.13 python3.12 \
    "$HOME"/.pyenv/versions/3.14*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3 \
    "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
        command -v "$candidate" 2>/dev/null || echo "$candidate"
        exit 0
    fi
done
echo "Supportdesk needs Python 3.12 or newer (Django 6); none was found on PATH or under ~/.pyenv." >&2
echo "Install python3.13 (or 3.12) and run make again." >&2
exit 1
