"""Saving entries of the operator's registers (policies, processors, agreements, activities,
retention periods): validated, and audited in the same transaction."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from privacy.services.audit import audit_record


@transaction.atomic
def register_entry_save(
    *, instance: models.Model, acting_user: AbstractBaseUser | None, created: bool | None = None
) -> models.Model:
    """`created`: whether this is a new entry, for callers that saved it already (DRF)."""
    created = instance._state.adding if created is None else created
    instance.full_clean()
    instance.save()
    audit_record(
        action=f"{instance._meta.model_name}.{'created' if created else 'changed'}",
        acting_user=acting_user,
        target=instance,
    )
    return instance
