"""State changes of the privacy app, one module per subject area; import from here."""

from privacy.services.audit import (  # noqa: F401
    audit_record,
)
from privacy.services.consent import (  # noqa: F401
    ConsentError,
    consent_link_subject,
    consent_purpose_add,
    consent_purpose_withdraw,
    consent_record,
    consent_withdraw,
    policy_version_active,
)
from privacy.services.erasure import (  # noqa: F401
    database_compact,
    database_compact_on_commit,
    erasure_ledger_record,
    erasure_replay,
)
from privacy.services.keys import (  # noqa: F401
    encryption_keys_rotate,
)
from privacy.services.notice import (  # noqa: F401
    notice_changes,
    notice_diff,
    notice_facts,
    notice_publish,
    notice_render,
)
from privacy.services.records import (  # noqa: F401
    agreement_reviews_check,
    processing_activities_csv,
)
from privacy.services.registers import register_entry_save  # noqa: F401
from privacy.services.requests import (  # noqa: F401
    data_export_archive,
    data_export_build,
    data_export_open,
    data_export_read,
    data_exports_delete,
    data_request_create,
    data_request_objection_record,
    data_request_process,
    data_request_retry,
    data_request_verification_send,
    data_request_verify,
    data_requests_stuck,
)
from privacy.services.retention import (  # noqa: F401
    legal_hold_place,
    legal_hold_release,
    queryset_purge,
    retention_purge,
)
from privacy.services.subjects import (  # noqa: F401
    data_subject_erase,
    data_subject_export,
    data_subject_identify,
    subject_by_verification_token,
    subject_erase,
    subject_export,
    subject_merge,
    subject_search_by_email,
    subject_verification_send,
    subject_verified_by_index,
    subject_verify,
)
