"""Names for the tables Django creates behind many-to-many fields, in the reader's language.

Django names them from the models' class names and never translates those: a German delete
page listed "Queue-user-Beziehung: Queue_members object (1)". At start-up each such table is
named from its two models' translated names, and a row from the two rows it links. Neither
is recorded by migrations.
"""

from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils.functional import lazy
from django.utils.translation import gettext


def _relationship_name(from_model, to_model, message: str) -> str:
    names = {"from": from_model._meta.verbose_name, "to": to_model._meta.verbose_name}
    return gettext(message) % names


def _row_name(self) -> str:
    from platform_core.admin import permission_label  # a permission's name is stored in English

    names = []
    for field in self._meta.concrete_fields:
        if field.is_relation:
            row = getattr(self, field.name)
            names.append(permission_label(row) if isinstance(row, Permission) else str(row))
    return " – ".join(names)


def relationship_names_translate() -> None:
    lazy_name = lazy(_relationship_name, str)
    for model in apps.get_models(include_auto_created=True):
        relations = [field for field in model._meta.concrete_fields if field.is_relation]
        if not model._meta.auto_created or len(relations) != 2:
            continue
        from_model, to_model = (field.related_model for field in relations)
        # Django's own messages, German in its catalogue.
        model._meta.verbose_name = lazy_name(from_model, to_model, "%(from)s-%(to)s relationship")
        model._meta.verbose_name_plural = lazy_name(
            from_model, to_model, "%(from)s-%(to)s relationships"
        )
        model.__str__ = _row_name
