"""Teaching the bot from conversations: proposals, a supervisor's approval or refusal."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.models import Teaching
from agents.selectors import (
    teaching_refusal,
)
from agents.services.base import (
    TEACHING_TITLE_MAX_LENGTH,
    InboxError,
    conversation_audit,
    conversation_known_names,
    require_visible,
    staff_text_clean,
    teaching_auto_approve_enabled,
)
from bot.knowledge_base import example_question_teach, intent_save
from bot.models import Conversation, ExampleQuestion, Intent, Message
from bot.services import MESSAGE_TEXT_MAX_LENGTH
from privacy.models import DataSubject
from privacy.redaction import text_redact
from privacy.selectors import legal_hold_references, legal_hold_subject_ids
from privacy.services import audit_record, queryset_purge
from privacy.validators import slug_without_personal_data, text_without_personal_data


def _require_learning_allowed(origin: Conversation | Teaching) -> None:
    """Refused, with a message that says why, before anything is stored or approved."""
    code, message = teaching_refusal(origin)
    if code:
        raise InboxError(message, code=code)


def _slug_from(text: str) -> str:
    return slugify(text)[:100].strip("-")


def _without_personal_data(
    value: object, *, field: str, max_length: int, known_names: list[str], slug: bool = False
) -> str:
    """A supervisor's edit of a proposal: kept as written when the gate finds nothing in it,
    else refused (never silently changed: the supervisor approves what they see)."""
    if not isinstance(value, str):
        raise InboxError(_("Send text."), code="invalid_text")
    value = value.replace("\r\n", "\n").strip()  # a form's textarea sends CRLF
    if not value or len(value) > max_length:
        raise InboxError(
            _("Give a text of at most %(max)s characters.") % {"max": max_length},
            code=f"invalid_{field}",
        )
    check = slug_without_personal_data if slug else text_without_personal_data
    try:
        check(value, known_names=known_names)
    except ValidationError as error:
        raise InboxError(" ".join(error.messages), code="personal_data") from None
    return value


@transaction.atomic
def teaching_create(
    *,
    conversation: Conversation,
    agent: AbstractBaseUser,
    intent_slug: str = "",
    proposed_slug: str = "",
    proposed_title: str = "",
    proposed_answer: str = "",
) -> Teaching:
    """Store what the agent taught: the customer's last question (redacted only) linked to an
    intent, or a new intent proposed with the agent's title, slug and answer, each passed
    through the redaction gate (with the customer's own name) before it is stored.

    Refused when the customer objected to learning or did not consent to bot improvement.
    Approved at once where the agent may approve, or AGENTS_TEACHING_AUTO_APPROVE is on.
    """
    require_visible(agent, conversation)
    _require_learning_allowed(conversation)
    question = (
        Message.objects.filter(conversation=conversation, sender=Message.Sender.CUSTOMER)
        .order_by("-seq")
        .values_list("text_redacted", flat=True)
        .first()
    )
    if not question or not question.strip():
        raise InboxError(_("The customer has not asked anything yet."), code="no_question")
    known_names = conversation_known_names(conversation)
    # The stored copy was redacted when the message arrived; the gate runs again with the
    # customer's own name, so what an older or name-blind pass kept does not go further.
    question = text_redact(question.strip(), known_names=known_names)
    question = question[: ExampleQuestion._meta.get_field("text").max_length]
    teaching = Teaching(
        conversation=conversation,
        subject_id=conversation.subject_id,
        consent_id=conversation.consent_id,
        created_by=agent,
        language=conversation.language,
        question_redacted=question,
    )
    if intent_slug:
        teaching.kind = Teaching.Kind.LINK
        teaching.intent = Intent.objects.filter(slug=intent_slug).first()
        if teaching.intent is None:
            raise InboxError(_("There is no such intent."), code="unknown_intent")
    else:
        teaching.kind = Teaching.Kind.NEW_INTENT
        # Title and slug are short labels without sentence context: redacted like every
        # intent title is checked (privacy.validators), the recogniser in its stricter
        # mode for labels, with the customer's own name.
        title = text_redact(
            (proposed_title or "").strip()[:TEACHING_TITLE_MAX_LENGTH],
            known_names=known_names,
            label_text=True,
        )
        # The slug is read as the words it joins and redacted like the title; without one
        # it is derived from the redacted title, never from what the agent typed.
        slug_words = (proposed_slug or "").replace("-", " ").replace("_", " ").strip()
        redacted_words = text_redact(slug_words, known_names=known_names, label_text=True)
        if not slug_words:
            teaching.proposed_slug = _slug_from(title)
        elif redacted_words == slug_words:  # nothing found: the agent's slug as written
            teaching.proposed_slug = _slug_from(proposed_slug)
        else:
            teaching.proposed_slug = _slug_from(redacted_words)
        if not teaching.proposed_slug:
            raise InboxError(
                _("Name the new intent (letters, digits and hyphens)."), code="invalid_slug"
            )
        if Intent.objects.filter(slug=teaching.proposed_slug).exists():
            raise InboxError(
                _("An intent with this name exists already: link the question to it instead."),
                code="slug_taken",
            )
        teaching.proposed_title = title or teaching.proposed_slug
        answer = staff_text_clean(proposed_answer, max_length=MESSAGE_TEXT_MAX_LENGTH)
        # The answer may name the customer: only its redacted form is kept.
        teaching.proposed_answer = text_redact(answer, known_names=known_names)
    teaching.save()
    conversation_audit(
        "teaching.created",
        acting_user=agent,
        conversation=conversation,
        details={"teaching": teaching.pk, "kind": teaching.kind},
    )
    if agent.has_perm("agents.approve_teaching") or teaching_auto_approve_enabled():
        _teaching_approve(teaching, agent)
    return teaching


def _teaching_known_names(teaching: Teaching) -> list[str]:
    """The names the gate hides in a teaching's texts: the conversation's, or, once
    retention deleted the conversation, its customer's own name still."""
    conversation = (
        Conversation.objects.filter(pk=teaching.conversation_id).first()
        if teaching.conversation_id
        else None
    )
    if conversation is not None:
        return conversation_known_names(conversation)
    subject = DataSubject.objects.filter(pk=teaching.subject_id).first()
    return [subject.name] if subject is not None and subject.name else []


def _teaching_approve(teaching: Teaching, acting_user: AbstractBaseUser) -> None:
    # An objection filed after the teaching, before the approval, still counts, also once
    # retention deleted the conversation (the teaching keeps its person and consent).
    _require_learning_allowed(teaching)
    if teaching.kind == Teaching.Kind.NEW_INTENT:
        if Intent.objects.filter(slug=teaching.proposed_slug).exists():
            raise InboxError(_("An intent with this name exists already."), code="slug_taken")
        # The last check before every customer can see them: what the gate still finds
        # (with the customer's own name) is sent back to the supervisor to edit.
        known_names = _teaching_known_names(teaching)
        for key, value in (
            ("slug", teaching.proposed_slug),
            ("title", teaching.proposed_title),
            ("answer", teaching.proposed_answer),
        ):
            _without_personal_data(
                value,
                field=key,
                max_length=MESSAGE_TEXT_MAX_LENGTH,
                known_names=known_names,
                slug=key == "slug",
            )
        try:
            teaching.intent = intent_save(
                slug=teaching.proposed_slug,
                titles={teaching.language: teaching.proposed_title or teaching.proposed_slug},
                answers={teaching.language: teaching.proposed_answer},
                examples={},
            )
        except ValidationError as error:
            # The teaching's own checks (at creation, above) leave nothing for these.
            raise InboxError(" ".join(error.messages), code="invalid_teaching") from None
    example_question_teach(
        intent=teaching.intent,
        language=teaching.language,
        text=teaching.question_redacted,
        subject_id=teaching.subject_id,
        consent_id=teaching.consent_id,
    )
    teaching.status = Teaching.Status.APPROVED
    teaching.decided_by = acting_user
    teaching.decided_at = timezone.now()
    teaching.save(update_fields=["status", "decided_by", "decided_at", "intent"])
    audit_record(
        action="teaching.approved",
        acting_user=acting_user,
        target=teaching,
        details={"intent": teaching.intent.slug},
    )


def _require_pending(teaching: Teaching, acting_user: AbstractBaseUser) -> Teaching:
    if not acting_user.has_perm("agents.approve_teaching"):
        raise PermissionDenied(_("Only supervisors approve what agents teach the bot."))
    locked = Teaching.objects.select_for_update().get(pk=teaching.pk)
    if locked.status != Teaching.Status.PENDING:
        raise InboxError(_("This teaching has been decided already."), code="not_pending")
    return locked


def _teaching_edit(teaching: Teaching, edits: dict[str, object]) -> list[str]:
    """Apply a supervisor's edits of the proposal (question, title, slug, answer); each
    must pass the redaction gate. Returns the names of the fields that changed."""
    known_names = _teaching_known_names(teaching)
    changed = []
    editable = {
        "question": ("question_redacted", ExampleQuestion._meta.get_field("text").max_length)
    }
    if teaching.kind == Teaching.Kind.NEW_INTENT:
        editable |= {
            "title": ("proposed_title", TEACHING_TITLE_MAX_LENGTH),
            "slug": ("proposed_slug", 100),
            "answer": ("proposed_answer", MESSAGE_TEXT_MAX_LENGTH),
        }
    unknown = sorted(set(edits) - set(editable))
    if unknown:
        raise InboxError(_("This part of the teaching cannot be edited."), code="not_editable")
    for key, value in edits.items():
        field, max_length = editable[key]
        if key == "slug":
            value = _without_personal_data(
                value, field=key, max_length=max_length, known_names=known_names, slug=True
            )
            if slugify(value) != value:
                raise InboxError(
                    _("Name the new intent (letters, digits and hyphens)."), code="invalid_slug"
                )
        else:
            value = _without_personal_data(
                value, field=key, max_length=max_length, known_names=known_names
            )
        if getattr(teaching, field) != value:
            setattr(teaching, field, value)
            changed.append(key)
    if changed:
        teaching.save(update_fields=[editable[key][0] for key in changed])
    return changed


@transaction.atomic
def teaching_approve(
    *,
    teaching: Teaching,
    acting_user: AbstractBaseUser,
    edits: dict[str, object] | None = None,
) -> Teaching:
    """Approve: the redacted question becomes an example question (source "agent") of the
    intent; a proposed intent is created with its answer first.

    `edits` ("question", "title", "slug", "answer") change the proposal first; each must be
    free of personal data (else InboxError code "personal_data", and nothing changes).
    """
    teaching = _require_pending(teaching, acting_user)
    changed = _teaching_edit(teaching, edits or {})
    if changed:
        audit_record(
            action="teaching.edited",
            acting_user=acting_user,
            target=teaching,
            details={"fields": changed},
        )
    _teaching_approve(teaching, acting_user)
    return teaching


@transaction.atomic
def teaching_reject(*, teaching: Teaching, acting_user: AbstractBaseUser) -> Teaching:
    teaching = _require_pending(teaching, acting_user)
    teaching.status = Teaching.Status.REJECTED
    teaching.decided_by = acting_user
    teaching.decided_at = timezone.now()
    teaching.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(action="teaching.rejected", acting_user=acting_user, target=teaching)
    return teaching


def teachings_purge(*, cutoff, batch_size, max_batches, dry_run) -> tuple[int, bool]:
    """Retention ("teachings"): teachings taught before the cutoff that no supervisor
    approved, waiting or refused. Redacted, but derived from a person's words: a waiting
    one is not kept for ever, and a refused one has done its work. Approved ones stay (the
    example they became is the bot's, erased with the person), as do those of a
    conversation or person under a legal hold."""
    expired = (
        Teaching.objects.filter(created_at__lt=cutoff)
        .exclude(status=Teaching.Status.APPROVED)
        .exclude(conversation__public_id__in=legal_hold_references())
        .exclude(subject_id__in=legal_hold_subject_ids())
    )
    return queryset_purge(expired, batch_size=batch_size, max_batches=max_batches, dry_run=dry_run)
