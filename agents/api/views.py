import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from agents.api import examples
from agents.api.serializers import (
    InboxActionOutputSerializer,
    InboxAssignInputSerializer,
    InboxConversationDetailOutputSerializer,
    InboxConversationOutputSerializer,
    InboxEscalateInputSerializer,
    InboxRevealEmailInputSerializer,
    InboxRevealEmailOutputSerializer,
    InboxTextInputSerializer,
    InboxTransferInputSerializer,
    MeOutputSerializer,
)
from agents.models import InternalNote
from agents.selectors import (
    conversation_get_by_public_id,
    conversation_is_visible,
    conversation_page,
    conversations_for_inbox,
    inbox_row,
    queue_list_for_agent,
    user_is_agent,
    user_roles,
)
from agents.services import (
    CONFLICT_CODES,
    InboxError,
    conversation_assign,
    conversation_claim,
    conversation_escalate_by_staff,
    conversation_reopen,
    conversation_reply,
    conversation_resolve_by_agent,
    conversation_transfer,
    conversation_view_record,
    note_add,
    subject_email_reveal,
)
from bot.models import Conversation, Message
from platform_core.api_auth import ANY_SCOPE, HasScope
from platform_core.api_errors import ERROR_RESPONSES, ApiErrorSerializer
from platform_core.api_params import datetime_param


class MeView(APIView):
    """The caller: username, roles and the queues they may see."""

    scope_area = ANY_SCOPE  # every key may ask whose it is (HasScope)

    @extend_schema(
        responses={200: MeOutputSerializer, **ERROR_RESPONSES},
        operation_id="me_retrieve",
        examples=[examples.ME],
    )
    def get(self, request: Request) -> Response:
        data = {
            "username": request.user.get_username(),
            "roles": user_roles(user=request.user),
            "queues": queue_list_for_agent(user=request.user),
        }
        return Response(MeOutputSerializer(data).data)


class IsInboxUser(BasePermission):
    """Agents, supervisors and admins; a conversation outside their queues is 403."""

    def has_permission(self, request, view) -> bool:
        return user_is_agent(user=request.user)


class InboxConflict(APIException):
    """The conversation's state refuses the action (already claimed, resolved, …)."""

    status_code = 409
    default_code = "conflict"


class InboxRefused(APIException):
    status_code = 400
    default_code = "invalid"


def _refusal(error: InboxError) -> APIException:
    """The service's refusal in the API's one error format, its code kept."""
    cls = InboxConflict if error.code in CONFLICT_CODES else InboxRefused
    return cls(detail=" ".join(error.messages), code=error.code)


_ERRORS = {
    **ERROR_RESPONSES,
    409: OpenApiResponse(
        response=ApiErrorSerializer,
        description="Refused by the state",
        examples=[examples.CONFLICT],
    ),
}


class InboxConversationViewSet(GenericViewSet):
    """The inbox over the API: the same services, selectors and audit as the pages."""

    # API keys need the "conversations" scope; people their inbox role.
    scope_area = "conversations"
    permission_classes = [IsAuthenticated, HasScope, IsInboxUser]
    lookup_field = "public_id"
    lookup_value_regex = "[0-9a-f-]{32,36}"
    serializer_class = InboxConversationOutputSerializer

    def get_queryset(self):
        return Conversation.objects.none()  # reads go through the selectors below

    def get_object(self) -> Conversation:
        try:
            public_id = uuid.UUID(str(self.kwargs["public_id"]))
        except ValueError:
            raise NotFound() from None
        conversation = conversation_get_by_public_id(public_id=public_id)
        if conversation is None:
            raise NotFound()
        if not conversation_is_visible(user=self.request.user, conversation=conversation):
            raise PermissionDenied()
        return conversation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                description="waiting, assigned, resolved or closed (repeatable); "
                "default: waiting and assigned",
            ),
            OpenApiParameter("channel", str),
            OpenApiParameter("language", str),
            OpenApiParameter("queue", str, description="queue slug"),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="escalated at or after"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="escalated before"),
        ],
        responses={200: InboxConversationOutputSerializer(many=True), **ERROR_RESPONSES},
        examples=[examples.INBOX_ROW],
    )
    def list(self, request: Request) -> Response:
        filters = _conversation_filters(request)
        page = self.paginate_queryset(conversations_for_inbox(user=request.user, **filters))
        rows = [inbox_row(conversation) for conversation in page]
        return self.get_paginated_response(InboxConversationOutputSerializer(rows, many=True).data)

    @extend_schema(
        responses={200: InboxConversationDetailOutputSerializer, **ERROR_RESPONSES},
        examples=[examples.INBOX_DETAIL],
    )
    def retrieve(self, request: Request, public_id: str) -> Response:
        return self._detail(self.get_object())

    def _detail(self, conversation: Conversation) -> Response:
        """The transcript: personal data, so every answer carrying it is audited."""
        conversation_view_record(
            conversation=conversation, acting_user=self.request.user, channel="api"
        )
        page = conversation_page(conversation=conversation, user=self.request.user)
        data = {**inbox_row(conversation), "messages": page.messages, "notes": page.notes}
        return Response(InboxConversationDetailOutputSerializer(data).data)

    def _perform(self, verb, **kwargs) -> tuple[Conversation, object]:
        """Call the service on the conversation; its refusals in the API's error format."""
        conversation = self.get_object()
        try:
            result = verb(conversation=conversation, **kwargs)
        except InboxError as error:
            raise _refusal(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return conversation, result

    def _act(self, verb, **kwargs) -> Response:
        conversation, result = self._perform(verb, **kwargs)
        conversation.refresh_from_db(fields=["status"])
        data = {"status": conversation.status}
        if isinstance(result, Message):
            data["seq"] = result.seq
        elif isinstance(result, InternalNote):
            data["id"] = result.pk
        return Response(InboxActionOutputSerializer(data).data)

    @extend_schema(
        request=None,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.CLAIMED],
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, public_id: str) -> Response:
        return self._act(conversation_claim, agent=request.user)

    @extend_schema(
        request=InboxTextInputSerializer,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.TEXT_REPLY, examples.REPLIED],
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, public_id: str) -> Response:
        serializer = InboxTextInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(
            conversation_reply, agent=request.user, text=serializer.validated_data["text"]
        )

    @extend_schema(
        request=InboxTextInputSerializer,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.TEXT_NOTE, examples.NOTED],
    )
    @action(detail=True, methods=["post"])
    def note(self, request: Request, public_id: str) -> Response:
        serializer = InboxTextInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(note_add, author=request.user, text=serializer.validated_data["text"])

    @extend_schema(
        request=InboxRevealEmailInputSerializer,
        responses={200: InboxRevealEmailOutputSerializer, **_ERRORS},
        description="The customer's email, unmasked (users allowed to see personal data). "
        "Audited with the reason code and the note (stored without personal data).",
        examples=[examples.REVEAL_EMAIL, examples.EMAIL_REVEALED],
    )
    @action(detail=True, methods=["post"], url_path="reveal-email")
    def reveal_email(self, request: Request, public_id: str) -> Response:
        serializer = InboxRevealEmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _conversation, email = self._perform(
            subject_email_reveal,
            acting_user=request.user,
            reason_code=serializer.validated_data["reason_code"],
            note=serializer.validated_data["note"],
        )
        return Response(InboxRevealEmailOutputSerializer({"email": email}).data)

    @extend_schema(
        request=None,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.RESOLVED],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, public_id: str) -> Response:
        return self._act(conversation_resolve_by_agent, agent=request.user)

    @extend_schema(
        request=None,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.REOPENED],
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, public_id: str) -> Response:
        return self._act(conversation_reopen, agent=request.user)

    @extend_schema(
        request=InboxTransferInputSerializer,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        examples=[examples.TRANSFER, examples.TRANSFERRED],
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, public_id: str) -> Response:
        serializer = InboxTransferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(
            conversation_transfer,
            queue_id=serializer.validated_data["queue"],
            acting_user=request.user,
        )

    @extend_schema(
        request=InboxAssignInputSerializer,
        responses={200: InboxActionOutputSerializer, **_ERRORS},
        description="Hand the conversation to an agent of its queue (supervisors, or the "
        "agent who has it).",
        examples=[examples.ASSIGN, examples.ASSIGNED],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, public_id: str) -> Response:
        serializer = InboxAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agent = (
            get_user_model()
            .objects.filter(username=serializer.validated_data["agent"], is_active=True)
            .first()
        )
        return self._act(conversation_assign, agent=agent, acting_user=request.user)

    @extend_schema(
        request=InboxEscalateInputSerializer,
        responses={200: InboxConversationDetailOutputSerializer, **_ERRORS},
        description="Hand a conversation the bot is handling to the team (supervisors and "
        "admins): to the queue named, or routed as the customer's own escalation would be. "
        "Returns the conversation with its transcript.",
        examples=[examples.ESCALATE, examples.ESCALATED],
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, public_id: str) -> Response:
        serializer = InboxEscalateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation, _escalated = self._perform(
            conversation_escalate_by_staff,
            reason=serializer.validated_data["reason"],
            queue_slug=serializer.validated_data.get("queue", ""),
            acting_user=request.user,
        )
        # Read afresh: now escalated, and routed (here, or by the listener after commit).
        return self._detail(conversation_get_by_public_id(public_id=conversation.public_id))


def _conversation_filters(request: Request) -> dict:
    """The list's query parameters, validated (bad input is a 400 naming the parameter)."""
    params, filters, errors = request.query_params, {}, {}
    statuses = params.getlist("status")
    if statuses:
        unknown = set(statuses) - set(Conversation.Status.values)
        if unknown:
            errors["status"] = [f"Unknown status: {', '.join(sorted(unknown))}."]
        filters["statuses"] = tuple(statuses)
    for name, key in [("channel", "channel"), ("language", "language"), ("queue", "queue_slug")]:
        if params.get(name):
            filters[key] = params[name]
    for name, key in [("since", "escalated_since"), ("until", "escalated_until")]:
        if params.get(name):
            moment = datetime_param(params[name])
            if moment is None:
                errors[name] = ["Use an ISO 8601 date and time."]
            filters[key] = moment
    if errors:
        raise ValidationError(errors)
    return filters
