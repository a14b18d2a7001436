"""Key rotation and the key status of every encrypted value and file.

Both walk privacy.registry (the encrypted fields of every installed model, and every
encrypted file store), so whatever export and erasure find, rotation and the status
report find too.
"""

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connection, models, transaction
from django.utils import timezone

from privacy.crypto import EncryptionKeyError, KeyRing, ciphertext_rotate
from privacy.registry import (
    EncryptedFileStore,
    encrypted_fields,
    encrypted_file_stores,
    models_with_encrypted_fields,
)

logger = logging.getLogger(__name__)

# progress(what, items checked so far, values re-encrypted so far)
Progress = Callable[[str, int, int], None]


class RotationStopped(EncryptionKeyError):
    """Rotation met a value no configured key opens; what was rotated before stays so."""

    def __init__(self, *, where: str, keys: int) -> None:
        self.where = where
        super().__init__(
            f"{where} opens with none of the {keys} keys in FIELD_ENCRYPTION_KEY: the key "
            "it was encrypted with is missing or mistyped. Put that key back in the list "
            "(after the new one) and run the command again; `manage.py encryption_status` "
            "counts what each key opens."
        )


# Rotation --------------------------------------------------------------------------------


def encryption_keys_rotate(
    *, batch_size: int = 500, progress: Progress | None = None
) -> dict[str, int]:
    """Re-encrypt every encrypted value and file that the newest key cannot open.

    Works on the stored tokens (MultiFernet.rotate), so no plaintext is handled and
    `updated_at` stays as it was. Each batch commits on its own (each file is replaced
    atomically) and what the newest key opens is skipped: an interrupted run is resumed
    by running it again. Returns re-encrypted values (or files) per model and store.
    A value no key opens stops the run with RotationStopped, naming where it is.
    """
    ring = KeyRing()
    rotated: dict[str, int] = {}
    for model in models_with_encrypted_fields():
        rotated[model._meta.label] = _model_keys_rotate(
            model=model, ring=ring, batch_size=batch_size, progress=progress
        )
    for store in encrypted_file_stores():
        rotated[store.name] = _store_keys_rotate(
            store=store, ring=ring, batch_size=batch_size, progress=progress
        )
    return rotated


def _rows(
    *, model: type[models.Model], columns: list[str], batch_size: int, last_pk=None
) -> Iterator[list[tuple]]:
    """Raw rows (pk, *tokens) in pk order, a batch at a time: the stored tokens, never
    decrypted by a field."""
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    select_columns = ", ".join(quote(column) for column in columns)
    while True:
        with connection.cursor() as cursor:
            where = f"WHERE {pk_column} > %s " if last_pk is not None else ""
            cursor.execute(
                f"SELECT {pk_column}, {select_columns} FROM {table} {where}"  # noqa: S608
                f"ORDER BY {pk_column} LIMIT %s",
                [last_pk, batch_size] if last_pk is not None else [batch_size],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last_pk = rows[-1][0]


def _model_keys_rotate(
    *,
    model: type[models.Model],
    ring: KeyRing,
    batch_size: int,
    progress: Progress | None,
) -> int:
    fields = encrypted_fields(model)
    columns = [f.column for f in fields]
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    rotated, seen = 0, 0
    for rows in _rows(model=model, columns=columns, batch_size=batch_size):
        with transaction.atomic(), connection.cursor() as cursor:
            for pk, *tokens in rows:
                changes = {}
                for model_field, token in zip(fields, tokens, strict=True):
                    if not token:
                        continue
                    position = ring.position(token)
                    if position is None:
                        raise RotationStopped(
                            where=f"{model._meta.label}.{model_field.name} (id {pk})",
                            keys=len(ring),
                        )
                    if position > 0:
                        changes[model_field.column] = ciphertext_rotate(token)
                if changes:
                    assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                        [*changes.values(), pk],
                    )
                    rotated += len(changes)
        seen += len(rows)
        if progress is not None:
            progress(model._meta.label, seen, rotated)
    return rotated


TEMPORARY_PREFIX = ".rotating-"


def _store_files(store: EncryptedFileStore) -> Iterator[Path]:
    root = Path(store.root())
    if not root.is_dir():
        return
    for directory, _dirs, names in os.walk(root):
        for name in sorted(names):
            if not name.startswith(TEMPORARY_PREFIX):
                yield Path(directory) / name


def _store_temporaries_remove(store: EncryptedFileStore) -> None:
    """Copies left by an interrupted run: removed, so no copy of a file outlives the
    file's erasure."""
    root = Path(store.root())
    if root.is_dir():
        for leftover in root.rglob(f"{TEMPORARY_PREFIX}*"):
            leftover.unlink(missing_ok=True)


def _store_keys_rotate(
    *, store: EncryptedFileStore, ring: KeyRing, batch_size: int, progress: Progress | None
) -> int:
    _store_temporaries_remove(store)
    rotated, seen = 0, 0
    for path in _store_files(store):
        token = path.read_bytes()
        position = ring.position(token)
        if position is None:
            raise RotationStopped(
                where=f"{store.name} (file {path.relative_to(store.root())})", keys=len(ring)
            )
        if position > 0:
            _file_replace(path, ciphertext_rotate(token))
            rotated += 1
        seen += 1
        if progress is not None and seen % batch_size == 0:
            progress(store.name, seen, rotated)
    if progress is not None and seen % batch_size:
        progress(store.name, seen, rotated)
    return rotated


def _file_replace(path: Path, content: bytes) -> None:
    """Write beside the file, then rename over it: a crash leaves the old or the new
    token, never half of one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Status ----------------------------------------------------------------------------------


@dataclass
class KeyCounts:
    """How many stored values (or files) of one field or store each key opens."""

    kind: str  # "field" or "files"
    name: str  # "bot.ChannelConfig.access_token", "privacy.DataExport (archives)"
    per_key: list[int]  # per_key[0]: under the newest key
    unreadable: int = 0  # opened by no configured key

    @property
    def total(self) -> int:
        return sum(self.per_key) + self.unreadable

    @property
    def under_old_keys(self) -> int:
        return sum(self.per_key[1:])

    @property
    def done(self) -> bool:
        return self.under_old_keys == 0 and self.unreadable == 0

    def left_description(self) -> str:
        """ "3 under key 1, 2 under no key": what keeps an old key from being removed."""
        parts = [
            f"{count} under key {position}"
            for position, count in enumerate(self.per_key)
            if position and count
        ]
        if self.unreadable:
            parts.append(f"{self.unreadable} under no key")
        return ", ".join(parts)


@dataclass
class EncryptionStatus:
    keys: int
    entries: list[KeyCounts]
    computed_at: datetime = field(default_factory=timezone.now)

    @property
    def left(self) -> list[KeyCounts]:
        """What is under another key than the first, or under none."""
        return [entry for entry in self.entries if not entry.done]

    @property
    def ok(self) -> bool:
        return not self.left

    @property
    def unreadable(self) -> int:
        return sum(entry.unreadable for entry in self.entries)

    def as_dict(self) -> dict:
        return {
            "keys": self.keys,
            "computed_at": self.computed_at.isoformat(),
            "ok": self.ok,
            "entries": [asdict(entry) for entry in self.entries],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "EncryptionStatus":
        return cls(
            keys=data["keys"],
            entries=[KeyCounts(**entry) for entry in data["entries"]],
            computed_at=datetime.fromisoformat(data["computed_at"]),
        )


def encryption_status_compute(*, batch_size: int = 2000) -> EncryptionStatus:
    """Count, for every encrypted field and file store, what each configured key opens.

    Reads every stored token once and checks signatures only (no decryption): cost grows
    with the data, which is why the dashboard shows a cached result (privacy.selectors).
    """
    ring = KeyRing()
    entries: list[KeyCounts] = []
    for model in models_with_encrypted_fields():
        fields = encrypted_fields(model)
        counts = [
            KeyCounts(kind="field", name=f"{model._meta.label}.{f.name}", per_key=[0] * len(ring))
            for f in fields
        ]
        for rows in _rows(model=model, columns=[f.column for f in fields], batch_size=batch_size):
            for _pk, *tokens in rows:
                for entry, token in zip(counts, tokens, strict=True):
                    if token:
                        _count(entry, ring.position(token))
        entries.extend(counts)
    for store in encrypted_file_stores():
        entry = KeyCounts(kind="files", name=store.name, per_key=[0] * len(ring))
        for path in _store_files(store):
            _count(entry, ring.position(path.read_bytes()))
        entries.append(entry)
    return EncryptionStatus(keys=len(ring), entries=entries)


def _count(entry: KeyCounts, position: int | None) -> None:
    if position is None:
        entry.unreadable += 1
    else:
        entry.per_key[position] += 1


# Start-up sample -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySample:
    """What a small sample of the newest stored values says about the key list."""

    keys: int
    sampled: int
    per_key: list[int]
    unreadable: dict[str, int]  # where (model, store) -> sampled values no key opens

    @property
    def unreadable_count(self) -> int:
        return sum(self.unreadable.values())


def encryption_keys_sample(*, per_model: int = 20, per_store: int = 5) -> KeySample:
    """Check the newest few values of every encrypted model and file store against the
    key list: cheap enough for start-up and the health check, enough to catch a key that
    is missing or mistyped before the first webhook does."""
    ring = KeyRing()
    per_key, unreadable, sampled = [0] * len(ring), {}, 0
    quote = connection.ops.quote_name

    def count(where: str, token) -> None:
        nonlocal sampled
        sampled += 1
        position = ring.position(token)
        if position is None:
            unreadable[where] = unreadable.get(where, 0) + 1
        else:
            per_key[position] += 1

    for model in models_with_encrypted_fields():
        columns = [f.column for f in encrypted_fields(model)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(quote(c) for c in columns)} "  # noqa: S608
                f"FROM {quote(model._meta.db_table)} "
                f"ORDER BY {quote(model._meta.pk.column)} DESC LIMIT %s",
                [per_model],
            )
            for row in cursor.fetchall():
                for token in row:
                    if token:
                        count(model._meta.label, token)
    for store in encrypted_file_stores():
        files = sorted(_store_files(store), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in files[:per_store]:
            count(store.name, path.read_bytes())
    return KeySample(keys=len(ring), sampled=sampled, per_key=per_key, unreadable=unreadable)


# Reading around a missing key ----------------------------------------------------------


def encrypted_tokens_unreadable(*, model: type[models.Model], pk) -> dict[str, str]:
    """The encrypted fields of one row that no configured key opens, with their stored
    tokens, so a page can show the rest, say what is missing and keep those unchanged."""
    fields = encrypted_fields(model)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(f.column) for f in fields)} "  # noqa: S608
            f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s",
            [pk],
        )
        row = cursor.fetchone()
    if row is None:
        return {}
    ring = KeyRing()
    return {
        f.name: token
        for f, token in zip(fields, row, strict=True)
        if token and ring.position(token) is None
    }


def encrypted_rows_unreadable(*, model: type[models.Model], batch_size: int = 500) -> int:
    """Rows of a (small) table holding a value no configured key opens."""
    ring = KeyRing()
    columns = [f.column for f in encrypted_fields(model)]
    return sum(
        1
        for rows in _rows(model=model, columns=columns, batch_size=batch_size)
        for _pk, *tokens in rows
        if any(token and ring.position(token) is None for token in tokens)
    )
