"""Rows written without the ORM's query compiler, for the chat's hottest writes: its
messages, and the set-up's conversation, consent, audit event and data subject.

Building an INSERT or UPDATE through the compiler costs more CPU than the database
takes to run it (issue 22: a consent or an identification is three such writes).
These build the statement once per call from the model's own fields, and prepare
every value with its field as the ORM does (defaults, auto_now, encryption); like
bulk_create and QuerySet.update, they send no signals and skip Model.save().
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

# Per model and database vendor: the fields of its columns, the INSERT's text up to
# VALUES, one row's placeholders and the RETURNING clause. Worked out once per process:
# rows_insert runs for every chat message (issue 22).
_insert_parts: dict[tuple[type[models.Model], str], tuple[list, str, str, str]] = {}


def _insert_statement_parts(model: type[models.Model], database) -> tuple[list, str, str, str]:
    key = (model, database.vendor)
    parts = _insert_parts.get(key)
    if parts is None:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        quote = database.ops.quote_name
        head = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608  (names from the model)
            f"({', '.join(quote(field.column) for field in fields)}) VALUES "
        )
        row = f"({', '.join(['%s'] * len(fields))})"
        returning = f" RETURNING {quote(model._meta.pk.column)}"
        parts = _insert_parts[key] = (fields, head, row, returning)
    return parts


def rows_insert(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model (as few statements as the backend's parameter
    limit allows) and give each its id, as create() would."""
    if not instances:
        return
    # The thread's connection itself: django.db.connection looks it up at every attribute.
    database = connections[DEFAULT_DB_ALIAS]
    fields, head, row, returning = _insert_statement_parts(type(instances[0]), database)
    batch = max(database.ops.bulk_batch_size(fields, instances), 1)
    for start in range(0, len(instances), batch):
        rows = instances[start : start + batch]
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), database)
            for instance in rows
            for field in fields
        ]
        with database.cursor() as cursor:
            cursor.execute(f"{head}{', '.join([row] * len(rows))}{returning}", params)
            ids = [returned[0] for returned in cursor.fetchall()]
        for instance, pk in zip(rows, ids, strict=True):
            instance.pk = pk
            instance._state.adding = False
            instance._state.db = database.alias


def row_update(instance: models.Model, *field_names: str) -> None:
    """UPDATE the named fields of a stored instance from its values (and its auto_now
    fields, which pre_save sets), as save(update_fields=...) would."""
    meta = instance._meta
    fields = [meta.get_field(name) for name in field_names]
    fields += [
        field
        for field in meta.concrete_fields
        if getattr(field, "auto_now", False) and field not in fields
    ]
    quote = connection.ops.quote_name
    values = [
        field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET "  # noqa: S608  (names from the model)
            f"{', '.join(f'{quote(field.column)} = %s' for field in fields)} "
            f"WHERE {quote(meta.pk.column)} = %s",
            [*values, instance.pk],
        )
