"""Admin pages of models with encrypted fields that must render while a key is missing.

A value no configured key opens raises EncryptionKeyError when the row is loaded
(privacy.fields), which made the whole page answer 500. These pages defer the encrypted
fields, read the stored tokens to learn which of them no key opens, and say so instead.
"""

from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.fields import UndecryptedToken
from privacy.registry import encrypted_fields
from privacy.services.keys import encrypted_rows_unreadable, encrypted_tokens_unreadable

KEY_MISSING_HINT = _(
    "A key is missing from FIELD_ENCRYPTION_KEY (see `manage.py encryption_status`): "
    "put it back; values entered again replace what it cannot open."
)


class EncryptedValuesAdminMixin:
    """For admins whose lists never show an encrypted value (credentials, secrets).

    The object of a change page gets `encrypted_unreadable`: the names of its encrypted
    fields no key opens. Those hold their stored token as an UndecryptedToken, which
    saving writes back unchanged: the page can be saved without losing them.
    """

    def _encrypted_names(self) -> list[str]:
        return [field.name for field in encrypted_fields(self.model)]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*self._encrypted_names())

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            rows = encrypted_rows_unreadable(model=self.model)
            if rows:
                messages.error(
                    request,
                    ngettext(
                        "%(count)d entry holds a value that none of the configured keys "
                        "can decrypt.",
                        "%(count)d entries hold a value that none of the configured keys "
                        "can decrypt.",
                        rows,
                    )
                    % {"count": rows}
                    + " "
                    + str(KEY_MISSING_HINT),
                )
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            return None
        unreadable = encrypted_tokens_unreadable(model=self.model, pk=obj.pk)
        readable = [name for name in self._encrypted_names() if name not in unreadable]
        if readable:
            obj.refresh_from_db(fields=readable)
        for name, token in unreadable.items():
            setattr(obj, self.model._meta.get_field(name).attname, UndecryptedToken(token))
        obj.encrypted_unreadable = frozenset(unreadable)
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.encrypted_unreadable and request.method == "GET":
            labels = ", ".join(
                str(self.model._meta.get_field(name).verbose_name)
                for name in sorted(obj.encrypted_unreadable)
            )
            messages.error(
                request,
                _("None of the configured keys can decrypt: %(fields)s.") % {"fields": labels}
                + " "
                + str(KEY_MISSING_HINT),
            )
        return super().change_view(request, object_id, form_url, extra_context)
