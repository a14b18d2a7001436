from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventPipelineConfig(AppConfig):
    """One event pipeline: the outbox, the frames and group names, outgoing webhooks."""

    name = "event_pipeline"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # In ready(): the models (and privacy's) are loaded only by now.
        # The outbox queues the webhook task by name, in web processes too (which Celery's
        # autodiscovery does not reach).
        from event_pipeline import tasks  # noqa: F401  (registers the Celery task)
        from event_pipeline.models import OutboxEvent, WebhookDelivery
        from event_pipeline.outbox import (
            outbox_health,
            subject_outbox_events_erase,
            subject_outbox_events_export,
        )
        from event_pipeline.webhooks import (
            subject_webhook_deliveries_erase,
            subject_webhook_deliveries_export,
            webhook_deliveries_purge,
            webhook_event_emit,
        )
        from platform_core.health import health_check_register
        from privacy.models import RetentionPolicy
        from privacy.registry import (
            PersonalDataProvider,
            RetentionHandler,
            provider_register,
            request_event_listener_register,
            retention_handler_register,
        )

        # Completed data requests are announced to the webhooks' subscribers.
        request_event_listener_register(webhook_event_emit)

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
        health_check_register("outbox", outbox_health)
