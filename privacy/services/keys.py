"""Key rotation of every encrypted column."""

from collections.abc import Callable

from django.db import connection, models, transaction

from privacy.crypto import (
    ciphertext_is_current,
    ciphertext_rotate,
)
from privacy.fields import is_encrypted_field
from privacy.registry import models_with_encrypted_fields


def encryption_keys_rotate(
    *, batch_size: int = 500, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt every encrypted value that the newest key cannot open, in batches.

    Works on the stored tokens (MultiFernet.rotate), so no plaintext is
    handled and `updated_at` stays as it was. Each batch commits on its own and
    a value already under the newest key is skipped: an interrupted run is
    resumed by running it again. Returns re-encrypted values per model.
    """
    rotated_per_model: dict[str, int] = {}
    for model in models_with_encrypted_fields():
        columns = [f.column for f in model._meta.concrete_fields if is_encrypted_field(f)]
        rotated_per_model[model._meta.label] = _model_keys_rotate(
            model=model, columns=columns, batch_size=batch_size, progress=progress
        )
    return rotated_per_model


def _model_keys_rotate(
    *,
    model: type[models.Model],
    columns: list[str],
    batch_size: int,
    progress: Callable[[str, int, int], None] | None,
) -> int:
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
    select_columns = ", ".join(quote(column) for column in columns)
    last_pk, rotated, seen = None, 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk_column} > %s " if last_pk is not None else ""
            cursor.execute(
                f"SELECT {pk_column}, {select_columns} FROM {table} {where}"  # noqa: S608
                f"ORDER BY {pk_column} LIMIT %s",
                [last_pk, batch_size] if last_pk is not None else [batch_size],
            )
            rows = cursor.fetchall()
            for pk, *tokens in rows:
                changes = {
                    column: ciphertext_rotate(token)
                    for column, token in zip(columns, tokens, strict=True)
                    if token and not ciphertext_is_current(token)
                }
                if changes:
                    assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
                        [*changes.values(), pk],
                    )
                    rotated += len(changes)
        if not rows:
            return rotated
        seen += len(rows)
        last_pk = rows[-1][0]
        if progress is not None:
            progress(model._meta.label, seen, rotated)
