import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from agents.models import Queue
from bot.models import Conversation
from bot.tokens import resume_token_hash, resume_token_new
from privacy.crypto import email_blind_index
from privacy.models import (
    ConsentRecord,
    DataSubject,
    PolicyVersion,
    ProcessingAgreement,
    Processor,
)
from staff import roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("test-password")
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class AgentFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=extracted or roles.AGENT))


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class DataSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSubject

    name = factory.Faker("name", locale="de_DE")
    email = factory.Sequence(lambda n: f"kunde{n}@example.org")
    phone = factory.Faker("phone_number", locale="de_DE")
    email_index = factory.LazyAttribute(lambda subject: email_blind_index(subject.email))
    # A known customer, as staff or the e-mailed link confirmed; claims come from
    # data_subject_identify.
    email_verified_at = factory.LazyFunction(timezone.now)
    email_verified_via = "staff"


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    resume_token_hash = factory.LazyFunction(lambda: resume_token_hash(resume_token_new()))
    language = "de"


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    language = "de"
    version = "2026-11"
    title = factory.LazyAttribute(lambda p: f"Datenschutz ({p.language})")
    # Each version in its own language (the one-language test reads the policy page).
    summary = factory.LazyAttribute(
        lambda p: (
            "Wir verarbeiten Name, E-Mail und Gesprächsinhalt, um Ihre Anfrage zu beantworten."
            if p.language == "de"
            else "We process your name, email and the conversation to answer your request."
        )
    )
    text = factory.LazyAttribute(
        lambda p: (
            "Vollständiger Text der Datenschutzhinweise."
            if p.language == "de"
            else "The full text of the privacy notice."
        )
    )
    is_active = True


def known_subject(**identity) -> DataSubject:
    """A customer who typed their identity and whose address staff confirmed."""
    from privacy.services import data_subject_identify

    subject = data_subject_identify(**identity)
    DataSubject.objects.filter(pk=subject.pk).update(
        email_verified_at=timezone.now(), email_verified_via=DataSubject.VerifiedVia.STAFF
    )
    subject.refresh_from_db()
    return subject


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    """Proof of consent to both purposes, under a policy version of its own (inactive, so
    it never competes with the `policies` fixture's active ones)."""

    class Meta:
        model = ConsentRecord

    reference = factory.LazyFunction(uuid.uuid4)
    policy_version = factory.SubFactory(
        PolicyVersionFactory, version=factory.Sequence(lambda n: f"factory-{n}"), is_active=False
    )
    # A customer who also ticked the optional "improving the bot" (most learning tests);
    # the product's own default is the support chat only (privacy.services.consent).
    purposes = factory.LazyFunction(
        lambda: [ConsentRecord.Purpose.BOT_IMPROVEMENT, ConsentRecord.Purpose.SUPPORT_CHAT]
    )
    channel = "web"


def processor_with_active_agreement(name: str = "CRM GmbH") -> Processor:
    """A processor under a signed, active AV-Vertrag (Art. 28): what a webhook that may
    carry personal data, or a messenger channel, needs before it is allowed."""
    processor = Processor.objects.create(name=name, address="Berlin")
    agreement_sign(processor)
    return processor


def agreement_sign(processor: Processor) -> ProcessingAgreement:
    """A signed, active processing agreement with `processor`."""
    return ProcessingAgreement.objects.create(
        processor=processor,
        subject_matter="CRM",
        duration="1 Jahr",
        nature_and_purpose="CRM",
        data_categories="Nachrichten",
        subject_categories="Kunden",
        retention_terms="30 Tage",
        technical_measures="TLS",
        controller_rights_duties="-",
        processor_rights_duties="-",
        status="active",
        signed_at=timezone.now().date(),
    )


def web_consent(policy: PolicyVersion, *optional_purposes: str) -> ConsentRecord:
    """A web chat's consent to `policy` (the chat's own purpose and the optional ones given),
    recorded as the chat records it."""
    from privacy.services import consent_record

    return consent_record(
        reference=uuid.uuid4(),
        language=policy.language,
        policy_version=policy.version,
        channel="web",
        purposes=["support_chat", *optional_purposes],
    )
