from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "Supportdesk"

    def ready(self) -> None:
        from privacy.models import RetentionPolicy
        from privacy.registry import (
            PersonalDataProvider,
            RetentionHandler,
            provider_register,
            retention_handler_register,
        )
        from supportdesk import (
            api_schema,  # noqa: F401  (registers the OpenAPI extensions)
            checks,  # noqa: F401  (registers the start-up checks)
        )
        from supportdesk.health import health_check_register
        from supportdesk.models import OutboxEvent, WebhookDelivery
        from supportdesk.outbox import (
            outbox_health,
            subject_outbox_events_erase,
            subject_outbox_events_export,
        )
        from supportdesk.relationship_names import relationship_names_translate
        from supportdesk.webhooks import (
            subject_webhook_deliveries_erase,
            subject_webhook_deliveries_export,
            webhook_deliveries_purge,
        )

        provider_register(
            PersonalDataProvider(
                name="supportdesk.outbox",
                models=(OutboxEvent,),
                export=subject_outbox_events_export,
                erase=subject_outbox_events_erase,
                # Before bot.conversations: events are found through the conversations.
                order=40,
                counts=lambda: {"outbox_events": OutboxEvent.objects.count()},
            )
        )
        provider_register(
            PersonalDataProvider(
                name="supportdesk.webhooks",
                models=(WebhookDelivery,),
                export=subject_webhook_deliveries_export,
                erase=subject_webhook_deliveries_erase,
                # Before bot.conversations: deliveries are found through the conversations.
                order=40,
                report_position=50,
                counts=lambda: {"webhook_deliveries": WebhookDelivery.objects.count()},
                title=_("Recipients: systems our webhooks informed"),
                labels={
                    "webhook_deliveries": _("Events sent to other systems"),
                    "receiver": _("Recipient"),
                    "receiver_host": _("Address (host)"),
                    "processor": _("Processor (company)"),
                    "event": _("Event"),
                    "fields": _("Data sent"),
                    "occurred_at": _("Time"),
                    "status": _("Delivery"),
                    "delivered_at": _("Delivered at"),
                },
                value_labels={
                    "event": {
                        "conversation.created": _("Conversation started"),
                        "conversation.escalated": _("Handed to a person"),
                        "conversation.assigned": _("Taken on by a person"),
                        "conversation.resolved": _("Conversation resolved"),
                        "message.created": _("Message"),
                        "dsar.completed": _("Data protection request completed"),
                        "erasure.completed": _("Erasure completed"),
                    },
                    "status": dict(WebhookDelivery.Status.choices),
                    "fields": {
                        "conversation": _("conversation number"),
                        "seq": _("message number"),
                        "from": _("sender"),
                        "text": _("message text"),
                        "channel": _("channel"),
                        "language": _("language"),
                        "reason": _("reason"),
                        "status": _("status"),
                        "request": _("request number"),
                        "kind": _("kind of request"),
                    },
                },
            )
        )
        retention_handler_register(
            RetentionHandler(
                category=RetentionPolicy.Category.WEBHOOK_DELIVERIES,
                purge=webhook_deliveries_purge,
            )
        )
        relationship_names_translate()
        health_check_register("outbox", outbox_health)
