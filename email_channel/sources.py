"""Where mail comes from: an IMAP folder, or a Maildir folder on this machine.

A source yields (key, raw bytes) for mail not taken yet and is told `done(key)` once a
mail is stored. Nothing is deleted on the server: IMAP remembers the highest UID taken
(per UIDVALIDITY), Maildir moves a taken mail from new/ to cur/ (flag S, seen). Should
the process die between storing and `done`, the mail comes again and the Message-ID
index stores it once.
"""

import imaplib
import mailbox as stdlib_mailbox
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from email_channel.models import Mailbox


class SourceError(Exception):
    """The mailbox could not be read; `code` is short and holds no server text."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class MaildirSource:
    def __init__(self, mailbox: Mailbox) -> None:
        self.path = Path(mailbox.maildir_path)

    def __enter__(self) -> "MaildirSource":
        try:
            # Creates new/, cur/ and tmp/ if missing: an empty mailbox, not an error.
            stdlib_mailbox.Maildir(self.path, create=True)
        except OSError as error:
            raise SourceError("maildir_unreadable") from error
        return self

    def __exit__(self, *exc) -> None:
        return None

    def fetch(self, *, limit: int) -> Iterator[tuple[str, bytes]]:
        new = self.path / "new"
        # In delivery order (a reply after the mail it answers): by modification time,
        # since names sort by text ("…M99P…" after "…M123P…" within one second).
        entries = [entry for entry in os.scandir(new) if not entry.name.startswith(".")]
        entries.sort(key=lambda entry: (_mtime(entry), entry.name))
        for name in [entry.name for entry in entries[:limit]]:
            try:
                yield name, (new / name).read_bytes()
            except FileNotFoundError:  # taken by a concurrent fetch meanwhile
                continue

    def done(self, key: str) -> None:
        try:
            os.replace(self.path / "new" / key, self.path / "cur" / f"{key}:2,S")
        except FileNotFoundError:
            pass


def _mtime(entry: os.DirEntry) -> int:
    try:
        return entry.stat().st_mtime_ns
    except FileNotFoundError:  # taken by a concurrent fetch: skipped when read
        return 0


_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class ImapSource:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.client: imaplib.IMAP4 | None = None
        self.uidvalidity: int | None = None
        self.last_uid = mailbox.imap_last_uid

    def __enter__(self) -> "ImapSource":
        mailbox = self.mailbox
        timeout = settings.EMAIL_IMAP_TIMEOUT_SECONDS
        try:
            if mailbox.imap_security == Mailbox.Security.TLS:
                self.client = imaplib.IMAP4_SSL(
                    mailbox.imap_host,
                    mailbox.imap_port,
                    ssl_context=ssl.create_default_context(),
                    timeout=timeout,
                )
            else:
                self.client = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
                if mailbox.imap_security == Mailbox.Security.STARTTLS:
                    self.client.starttls(ssl_context=ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError("imap_connect") from error
        try:
            self.client.login(mailbox.imap_user, mailbox.imap_password)
        except imaplib.IMAP4.error as error:
            self._close()
            raise SourceError("imap_login") from error
        try:
            status, _data = self.client.select(_quoted(mailbox.imap_folder), readonly=True)
            if status != "OK":
                raise SourceError("imap_folder")
            self.uidvalidity = self._uidvalidity()
        except (OSError, imaplib.IMAP4.error) as error:
            self._close()
            raise SourceError("imap_folder") from error
        if mailbox.imap_uidvalidity is not None and mailbox.imap_uidvalidity != self.uidvalidity:
            self.last_uid = 0  # the folder was rebuilt: its UIDs mean other mails now
        return self

    def _uidvalidity(self) -> int | None:
        _status, data = self.client.response("UIDVALIDITY")
        if data and data[0]:
            return int(data[0])
        _status, data = self.client.status(_quoted(self.mailbox.imap_folder), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(data[0] or b"") if data else None
        return int(match.group(1)) if match else None

    def __exit__(self, *exc) -> None:
        self._close()

    def _close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
        self.client = None

    def fetch(self, *, limit: int) -> Iterator[tuple[str, bytes]]:
        try:
            status, data = self.client.uid("SEARCH", None, f"UID {self.last_uid + 1}:*")
        except (OSError, imaplib.IMAP4.error) as error:
            raise SourceError("imap_search") from error
        if status != "OK":
            raise SourceError("imap_search")
        # "n:*" also names the last mail when its UID is below n: only newer ones count.
        uids = sorted(int(uid) for uid in (data[0] or b"").split() if int(uid) > self.last_uid)
        for uid in uids[:limit]:
            try:
                status, parts = self.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            except (OSError, imaplib.IMAP4.error) as error:
                raise SourceError("imap_fetch") from error
            raw = next(
                (part[1] for part in parts or [] if isinstance(part, tuple) and len(part) > 1),
                None,
            )
            if status == "OK" and raw is not None:
                yield str(uid), raw

    def done(self, key: str) -> None:
        self.last_uid = max(self.last_uid, int(key))


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def source_open(mailbox: Mailbox) -> MaildirSource | ImapSource:
    if mailbox.source == Mailbox.Source.MAILDIR:
        return MaildirSource(mailbox)
    return ImapSource(mailbox)
