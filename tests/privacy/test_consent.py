import uuid

import pytest

from privacy.models import AuditEvent, ConsentRecord
from privacy.services import ConsentError, consent_record, consent_withdraw, policy_version_active
from tests.factories import PolicyVersionFactory

pytestmark = pytest.mark.django_db


def _record(**overrides):
    arguments = {
        "reference": uuid.uuid4(),
        "language": "de",
        "policy_version": "2026-11",
        "channel": "web",
    }
    return consent_record(**{**arguments, **overrides})


def test_consent_names_the_accepted_version_and_is_audited(policies):
    record = _record()

    assert record.policy_version == policies["de"] and record.granted_at
    assert AuditEvent.objects.filter(action="consent.granted", target_id=str(record.pk)).exists()


def test_only_one_version_per_language_is_active(policies):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PolicyVersionFactory(language="de", version="2027-01")


def test_a_language_without_a_policy_falls_back_to_the_default(policies, settings):
    settings.LANGUAGE_CODE = "de"

    assert policy_version_active(language="fr") == policies["de"]


def test_the_active_version_is_read_once_then_cached(policies, django_assert_num_queries):
    policy_version_active(language="en")

    with django_assert_num_queries(0):
        assert policy_version_active(language="en") == policies["en"]


def test_publishing_a_version_outdates_the_cached_one_at_once(policies):
    from privacy.services import notice_publish

    policy_version_active(language="de")
    published = notice_publish(
        language="de", version="2027-01", title="Neu", summary="Neu", text="Neu", acting_user=None
    )

    assert policy_version_active(language="de") == published
    with pytest.raises(ConsentError) as error:
        _record(policy_version="2026-11")
    assert error.value.code == "policy_outdated"


def test_deleting_the_active_version_is_seen_at_once(policies):
    policy_version_active(language="de")
    policies["de"].delete()
    policies["en"].delete()

    assert policy_version_active(language="de") is None


@pytest.mark.parametrize(
    ("version", "code"), [("2020-01", "policy_outdated"), ("", "policy_outdated")]
)
def test_an_outdated_version_is_refused(policies, version, code):
    with pytest.raises(ConsentError) as error:
        _record(policy_version=version)

    assert error.value.code == code
    assert ConsentRecord.objects.count() == 0


def test_without_a_published_policy_consent_is_impossible(db):
    with pytest.raises(ConsentError) as error:
        _record()

    assert error.value.code == "no_policy"


def test_unknown_purposes_are_refused(policies):
    with pytest.raises(ConsentError):
        _record(purposes=["marketing"])


def test_the_ip_address_is_stored_only_where_configured(policies, settings):
    settings.CONSENT_STORE_IP_ADDRESS = False
    assert _record(ip_address="203.0.113.9").ip_address is None
    settings.CONSENT_STORE_IP_ADDRESS = True
    assert _record(ip_address="203.0.113.9").ip_address == "203.0.113.9"


def test_withdrawal_keeps_the_first_time_and_is_audited_once(policies):
    record = _record()

    first = consent_withdraw(record=record).withdrawn_at
    second = consent_withdraw(record=record).withdrawn_at

    assert first is not None and first == second
    assert AuditEvent.objects.filter(action="consent.withdrawn").count() == 1
