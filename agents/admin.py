"""Admin for queues, memberships, canned responses, availability and teachings.

Search never touches encrypted fields (their ciphertext is random): notes are
not searchable, and transcripts are read in the audited inbox, not here.
"""

from django.contrib import admin

from agents.models import AgentProfile, Assignment, CannedResponse, Queue, Teaching


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "topic"]
    list_filter = ["language"]
    search_fields = ["name", "slug", "topic", "members__username"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "availability", "updated_at"]
    list_filter = ["availability"]
    search_fields = ["display_name", "user__username"]
    list_select_related = ["user"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "queue", "owner", "language"]
    list_filter = ["queue", "language"]
    search_fields = ["title", "text", "owner__username", "queue__name"]
    list_select_related = ["queue", "owner"]
    autocomplete_fields = ["owner"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Metadata of who handles what; the transcript is read in the inbox (audited)."""

    list_display = ["conversation", "queue", "agent", "assigned_at", "created_at"]
    list_filter = ["queue"]
    search_fields = ["conversation__public_id", "agent__username", "queue__name"]
    list_select_related = ["conversation", "queue", "agent"]
    readonly_fields = ["conversation", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Teaching)
class TeachingAdmin(admin.ModelAdmin):
    """Read-only: proposals are edited and decided on the teaching page, where every edit
    passes the redaction gate and the customer's objection and consent are checked."""

    list_display = ["question_redacted", "kind", "status", "intent", "proposed_slug", "created_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["question_redacted", "proposed_slug", "intent__slug"]
    list_select_related = ["intent"]
    readonly_fields = ["conversation", "created_by", "created_at", "decided_by", "decided_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
