"""A QuerySet for models with encrypted fields that refuses what cannot work.

Fernet ciphertext is randomised, so filtering or ordering on an encrypted
column silently matches nothing or sorts by noise; and bulk_update / update
with an expression store the ciphertext of the SQL expression (a bug of
django-encrypted-model-fields 0.6.5). Each raises a clear error instead.
Find a subject by email through its blind index (`email_index`).
"""

from django.db import models
from django.db.models.expressions import Combinable

from privacy.fields import is_encrypted_field


class EncryptedFieldMisuse(TypeError):
    pass


def encrypted_field_names(model: type[models.Model]) -> set[str]:
    names = set()
    for field in model._meta.concrete_fields:
        if is_encrypted_field(field):
            names.update({field.name, field.attname})
    return names


def _lookup_field_names(q: models.Q) -> list[str]:
    names = []
    for child in q.children:
        if isinstance(child, models.Q):
            names.extend(_lookup_field_names(child))
        else:
            names.append(child[0])
    return names


def _encrypted_field_in_path(model: type[models.Model], lookup: str) -> str | None:
    """The encrypted field a lookup path compares against, following relations; else None."""
    parts = lookup.lstrip("-?").split("__")
    for position, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except Exception:  # a lookup or transform name such as "in", "year"
            return None
        if is_encrypted_field(field):
            # NULL is stored unencrypted, so "is it set" is a fair question.
            if parts[position + 1 : position + 2] == ["isnull"]:
                return None
            return f"{model.__name__}.{field.name}"
        if field.is_relation and field.related_model is not None:
            model = field.related_model
        else:
            return None
    return None


class EncryptedFieldsQuerySet(models.QuerySet):
    def _refuse_if_encrypted(self, lookups: list[str], operation: str) -> None:
        for lookup in lookups:
            field_label = _encrypted_field_in_path(self.model, lookup)
            if field_label:
                raise EncryptedFieldMisuse(
                    f"{field_label} is encrypted and cannot be used in {operation}(): "
                    "its ciphertext is random. Use a blind index instead."
                )

    def _filter_or_exclude(self, negate, args, kwargs):
        lookups = list(kwargs)
        for arg in args:
            if isinstance(arg, models.Q):
                lookups.extend(_lookup_field_names(arg))
        self._refuse_if_encrypted(lookups, "filter")
        return super()._filter_or_exclude(negate, args, kwargs)

    def order_by(self, *field_names):
        self._refuse_if_encrypted([f for f in field_names if isinstance(f, str)], "order_by")
        return super().order_by(*field_names)

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse_if_encrypted(list(fields), "bulk_update")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def update(self, **kwargs):
        encrypted = encrypted_field_names(self.model)
        for name, value in kwargs.items():
            if name in encrypted and isinstance(value, Combinable):
                raise EncryptedFieldMisuse(
                    f"{self.model.__name__}.{name} is encrypted: update() with an expression "
                    "would store the ciphertext of the SQL. Save the instances instead."
                )
        return super().update(**kwargs)


EncryptedFieldsManager = models.Manager.from_queryset(EncryptedFieldsQuerySet)
