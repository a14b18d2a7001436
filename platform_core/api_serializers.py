"""Serializer bases shared by the apps' APIs."""

import copy
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers


class Rfc3339DateTimeField(serializers.DateTimeField):
    """A DateTimeField whose output is always RFC 3339 date-time (the schema's format).

    DRF renders in the current time zone; for dates before standard time (Europe/Berlin
    before 1893) that zone's offset is local mean time, +00:53:28, with seconds that
    RFC 3339 has no place for. Such a value is rendered in UTC instead.
    """

    def to_representation(self, value):
        if isinstance(value, datetime):
            offset = self.enforce_timezone(value).utcoffset()
            if offset is not None and offset.seconds % 60:
                return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


class ModelInvariantsSerializer(serializers.ModelSerializer):
    """A ModelSerializer that checks the model's own invariants before saving.

    DRF validates fields, not the model's clean() or its CheckConstraints, so a body
    that breaks one got as far as the INSERT and came back as an IntegrityError (a
    500). Here the would-be row (the instance with the new values, for an update) runs
    Model.clean() and Model.validate_constraints(), the same rules the admin's forms
    and the register services' full_clean() apply: a violation is a 400 with the
    model's own message, on its field where the model names one.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: Rfc3339DateTimeField,
    }

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.many_to_many or field.one_to_many:
                continue  # set after saving; no constraint of ours reads them
            setattr(candidate, name, value)
        try:
            candidate.clean()
            candidate.validate_constraints()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs
