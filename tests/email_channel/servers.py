"""Real mail servers for the services tests: Debian's Dovecot (IMAP) with a throwaway
configuration on a free port, and aiosmtpd as an SMTP sink. Installed by `make mailserver`."""

import getpass
import imaplib
import os
import pwd
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.processes import ManagedProcess, free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

DOVECOT_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = /dev/stderr
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{dir}/mail/%u
first_valid_uid = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@contextmanager
def dovecot_server(*, user: str, password: str):
    """Dovecot serving one IMAP account; yields the running process (`.port`).

    As root, Dovecot's own unprivileged users run it (its login process refuses root and
    mail must not belong to uid 0); as anyone else, that user runs all of it.
    """
    # Not under pytest's tmp_path: Dovecot's unprivileged users must reach the folder.
    workdir = Path(tempfile.mkdtemp(prefix="sd-dovecot-"))
    workdir.chmod(0o755)
    if os.geteuid() == 0:
        internal, login = pwd.getpwnam("dovecot"), "dovenull"
        uid, gid = internal.pw_uid, internal.pw_gid
        internal_user, internal_group = "dovecot", "dovecot"
    else:
        uid, gid = os.getuid(), os.getgid()
        internal_user = login = getpass.getuser()
        internal_group = pwd.getpwuid(uid).pw_name
    for folder in ("run", "state", "mail", "home"):
        (workdir / folder).mkdir()
    for folder in ("mail", "home"):
        os.chown(workdir / folder, uid, gid)
    (workdir / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    port = free_port()
    (workdir / "dovecot.conf").write_text(
        DOVECOT_CONFIG.format(
            dir=workdir,
            port=port,
            uid=uid,
            gid=gid,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login,
        )
    )

    def ready() -> bool:
        try:
            client = imaplib.IMAP4("127.0.0.1", port, timeout=2)
        except OSError:
            return False
        client.logout()
        return True

    server = ManagedProcess(
        "dovecot",
        [DOVECOT, "-F", "-c", str(workdir / "dovecot.conf")],
        env=dict(os.environ),
        log_path=workdir / "dovecot.log",
        ready=ready,
    )
    server.port = port
    server.workdir = workdir
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def imap_append(*, port: int, user: str, password: str, raw: bytes) -> None:
    """Put a mail into the account's INBOX as a mail server's delivery would."""
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    try:
        client.login(user, password)
        status, _data = client.append("INBOX", None, None, raw)
        assert status == "OK", status
    finally:
        client.logout()


class SmtpSink:
    """Every mail the SMTP server accepts: (envelope recipients, raw bytes)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        with self.arrived:
            self.received.append((list(envelope.rcpt_tos), envelope.original_content))
            self.arrived.notify_all()
        return "250 Message accepted"


@contextmanager
def smtp_sink():
    """aiosmtpd on a free port; yields (sink, port)."""
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
