"""The personal-data provider registry.

Every app that stores personal data registers a provider in its
AppConfig.ready(): the models it covers and two functions, export(subject)
and erase(subject). DSAR export and erasure walk this registry, so a model
with personal data cannot be forgotten as long as its app registers it
(tests/privacy/test_registry.py fails for any encrypted model not covered).
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models

from privacy.fields import is_encrypted_field
from privacy.storage import EncryptedFileSystemStorage


@dataclass(frozen=True)
class PersonalDataProvider:
    name: str
    models: tuple[type[models.Model], ...]
    # export(subject) -> JSON-serialisable data about the subject from this app.
    export: Callable[[Any], dict]
    # erase(subject) -> counts of what was deleted or anonymised, per kind.
    erase: Callable[[Any], dict[str, int]]
    # Erasure order: lower runs first (dependent rows before the subject itself).
    order: int = 100
    # counts() -> rows held per kind, for the privacy dashboard (counts, never content).
    counts: Callable[[], dict[str, int]] | None = None
    # references(subject) -> public ids of this app's records about the subject (its
    # conversations), so records elsewhere that name only those (a webhook delivery
    # about a conversation) are found for the subject's export and erasure.
    references: Callable[[Any], list[Any]] | None = None
    # language(subject) -> the language the subject last wrote in ("de", "en"), or None:
    # the readable report of an access export is written in it.
    language: Callable[[Any], str | None] | None = None
    # The readable report (report.html): the section's heading, and labels for the keys
    # of export() and for coded values (key -> {value: label}); all translatable.
    title: Any = ""
    labels: dict[str, Any] = dataclasses.field(default_factory=dict)
    value_labels: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    # Where the section stands in the report: the person first, their conversations,
    # who handled them, then the recipients.
    report_position: int = 100


_providers: dict[str, PersonalDataProvider] = {}


def provider_register(provider: PersonalDataProvider) -> None:
    existing = _providers.get(provider.name)
    if existing is not None and existing != provider:
        raise ValueError(f"A different personal-data provider is already named {provider.name!r}.")
    _providers[provider.name] = provider


def provider_list() -> list[PersonalDataProvider]:
    return sorted(_providers.values(), key=lambda provider: (provider.order, provider.name))


def subject_references(subject: Any) -> set[Any]:
    """The subject's own public id and every provider's records about the subject."""
    references = {subject.public_id}
    for provider in provider_list():
        if provider.references is not None:
            references.update(provider.references(subject))
    return references


def subject_language(subject: Any) -> str | None:
    for provider in provider_list():
        if provider.language is not None and (language := provider.language(subject)):
            return language
    return None


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if is_encrypted_field(field)]


def models_with_encrypted_fields() -> list[type[models.Model]]:
    """Every installed model with an encrypted field, secrets included: what key
    rotation and `encryption_status` walk. Found, not listed, so a model added later
    is covered without touching either."""
    return [model for model in apps.get_models() if encrypted_fields(model)]


def models_with_personal_data() -> list[type[models.Model]]:
    """Models holding encrypted data about people, which a provider must export and
    erase; a model that encrypts only its own secrets (a webhook's signing key) says so
    with `encrypts_secrets_only = True`."""
    return [
        model
        for model in models_with_encrypted_fields()
        if not getattr(model, "encrypts_secrets_only", False)
    ]


def models_not_covered() -> list[type[models.Model]]:
    covered = {model for provider in provider_list() for model in provider.models}
    return [model for model in models_with_personal_data() if model not in covered]


@dataclass(frozen=True)
class EncryptedFileStore:
    """A folder whose files are each one Fernet token under FIELD_ENCRYPTION_KEY."""

    name: str  # shown to operators: "privacy.ProcessingAgreement.signed_document"
    root: Callable[[], Path]  # read when used: MEDIA_ROOT may change (tests)


_file_stores: dict[str, EncryptedFileStore] = {}


def encrypted_file_store_register(store: EncryptedFileStore) -> None:
    """For files written without a model FileField (the DSAR export archives)."""
    _file_stores[store.name] = store


def encrypted_file_stores() -> list[EncryptedFileStore]:
    """Every encrypted file store: each model FileField on an EncryptedFileSystemStorage
    (found like the encrypted fields, so attachments added later are covered) and the
    registered ones. Two fields sharing a folder are one store."""
    stores = list(_file_stores.values())
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            storage = getattr(field, "storage", None)
            if isinstance(field, models.FileField) and isinstance(
                storage, EncryptedFileSystemStorage
            ):
                stores.append(
                    EncryptedFileStore(name=f"{model._meta.label}.{field.name}", root=storage.root)
                )
    unique: dict[Path, EncryptedFileStore] = {}
    for store in stores:
        unique.setdefault(Path(store.root()).resolve(), store)
    return sorted(unique.values(), key=lambda store: store.name)


@dataclass(frozen=True)
class RetentionHandler:
    """Deletes one category's expired rows: purge(cutoff=, batch_size=, max_batches=, dry_run=)
    returns (rows deleted or, in a dry run, due, whether more remain)."""

    category: str
    purge: Callable[..., tuple[int, bool]]


_retention_handlers: dict[str, RetentionHandler] = {}


def retention_handler_register(handler: RetentionHandler) -> None:
    _retention_handlers[handler.category] = handler


def retention_handler_get(category: str) -> RetentionHandler | None:
    return _retention_handlers.get(category)


# Where the active channels come from: bot registers its channel configuration's
# selector here (bot.channels.selectors.channels_active); privacy imports no bot.
_active_channels_source: list[Callable[[], list[str]]] = []


def active_channels_source_register(source: Callable[[], list[str]]) -> None:
    _active_channels_source[:] = [source]


# Activities of the record (Art. 30) that apply only while an app's feature is in use,
# by their seeded name: the e-mail channel's only while a mailbox is active. The record
# and the generated notice list such an activity only then.
_activity_conditions: dict[str, Callable[[], bool]] = {}


def activity_condition_register(name: str, in_use: Callable[[], bool]) -> None:
    _activity_conditions[name] = in_use


def activity_in_use(name: str) -> bool:
    """Whether the activity seeded as `name` applies now (True without a condition)."""
    condition = _activity_conditions.get(name)
    return condition is None or condition()


def active_channels() -> list[str]:
    if _active_channels_source:
        return sorted(set(_active_channels_source[0]()))
    return ["web"]


# How a staff member is named to a customer (their access export's audit trail): agents
# registers the name its agents show to customers; privacy imports no agents.
_staff_name_source: list[Callable[[Any], str]] = []


def staff_name_source_register(source: Callable[[Any], str]) -> None:
    _staff_name_source[:] = [source]


def staff_name(user: Any) -> str:
    if user is None:
        return ""
    if _staff_name_source:
        return _staff_name_source[0](user)
    return user.get_full_name() or user.get_username()


# Who hears that a data request was completed (the "dsar.completed" and
# "erasure.completed" webhooks): event_pipeline registers its webhook emitter here;
# privacy imports no event_pipeline, which sits above it.
_request_event_listeners: list[Callable[..., None]] = []


def request_event_listener_register(listener: Callable[..., None]) -> None:
    """`listener(event=..., payload=..., subject_public_id=...)`, in the request's transaction."""
    _request_event_listeners[:] = [listener]


def request_event_announce(*, event: str, payload: dict, subject_public_id: Any) -> None:
    for listener in _request_event_listeners:
        listener(event=event, payload=payload, subject_public_id=subject_public_id)
