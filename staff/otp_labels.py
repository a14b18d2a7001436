"""Names for django-otp's apps, models and fields in the reader's language.

django-otp leaves them untranslated (names derived from the classes, English help texts), so
the admin showed "Otp_Totp | TOTP device | created at" on German pages. They are set once at
start-up. Only attributes migrations do not record are replaced: a field's label
(`verbose_name`; migrations keep `_verbose_name`), the models' names (`_meta`, not
`original_attrs`) and the apps' names; help texts keep their English text as the message,
so a migration compares them equal.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

APP_NAMES = {
    "otp_totp": _("Second factor: authenticator apps"),
    "otp_static": _("Second factor: recovery codes"),
}
MODEL_NAMES = {
    ("otp_totp", "totpdevice"): (_("TOTP device"), _("TOTP devices")),
    # Ours, with the key encrypted (staff.models); its fields inherited from django-otp.
    ("staff", "encryptedtotpdevice"): (_("TOTP device"), _("TOTP devices")),
    ("otp_static", "staticdevice"): (_("static device"), _("static devices")),
    ("otp_static", "statictoken"): (_("static token"), _("static tokens")),
}
FIELD_LABELS = {
    "user": _("user"),
    "name": _("name"),
    "confirmed": _("confirmed"),
    "created_at": _("created at"),
    "last_used_at": _("last used at"),
    "throttling_failure_timestamp": _("last failed attempt"),
    "throttling_failure_count": _("failed attempts in a row"),
    "key": _("key"),
    "step": _("time step"),
    "t0": _("start time (t0)"),
    "digits": _("digits"),
    "tolerance": _("tolerance"),
    "drift": _("drift"),
    "last_t": _("last time step (t)"),
    "device": _("device"),
    "token": _("code"),
}
# django-otp's own help texts, marked here for the catalogue.
HELP_TEXTS = {
    gettext_noop("The user that this device belongs to."),
    gettext_noop("The human-readable name of this device."),
    gettext_noop("Is this device ready for use?"),
    gettext_noop("The date and time when this device was initially created in the system."),
    gettext_noop("The most recent date and time this device was used."),
    gettext_noop(
        "A timestamp of the last failed verification attempt. Null if last attempt succeeded."
    ),
    gettext_noop("Number of successive failed attempts."),
    gettext_noop("A hex-encoded secret key of up to 40 bytes."),
    gettext_noop("The time step in seconds."),
    gettext_noop("The Unix time at which to begin counting steps."),
    gettext_noop("The number of digits to expect in a token."),
    gettext_noop("The number of time steps in the past or future to allow."),
    gettext_noop("The number of time steps the prover is known to deviate from our clock."),
    gettext_noop(
        "The t value of the latest verified token. The next token must be at a higher time step."
    ),
}


def otp_labels_translate() -> None:
    for label, name in APP_NAMES.items():
        apps.get_app_config(label).verbose_name = name
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        model = apps.get_model(label, model_name)
        model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural
        for field in model._meta.concrete_fields:
            if field.name in FIELD_LABELS:
                field.verbose_name = FIELD_LABELS[field.name]
            if field.help_text in HELP_TEXTS:
                field.help_text = _(field.help_text)
