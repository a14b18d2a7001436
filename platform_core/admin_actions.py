"""Admin actions shared by the apps' admins."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class DeliveryRetryAdminMixin:
    """ "Retry the selected deliveries", for webhook and messenger deliveries alike.

    A subclass sets `delivery_retry` (a service taking `delivery` and `acting_user`,
    queueing it again, audited, and saying whether it did) and `retry_permission`.
    Sending claims a delivery, so a retried one still goes out at most once.
    """

    actions = ["retry"]
    delivery_retry: Callable[..., bool]
    retry_permission: str

    @admin.action(description=_("Retry the selected deliveries"), permissions=["retry"])
    def retry(self, request, queryset) -> None:
        retry = type(self).delivery_retry  # a plain function, not bound to the admin
        retried = sum(retry(delivery=delivery, acting_user=request.user) for delivery in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", retried
            )
            % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(self.retry_permission)
