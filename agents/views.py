"""The inbox pages: thin. Context from selectors, every POST calls one service.

Every action is an HTML form with a CSRF token that works without JavaScript
(POST, then redirect). The pages' scripts send the same forms with fetch and
`Accept: application/json` and get JSON back: one write path for both.
"""

import csv
from abc import ABC, abstractmethod

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import (
    LoginRequiredMixin,
    PermissionRequiredMixin,
    UserPassesTestMixin,
)
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from agents import services
from agents.analytics import analytics_charts, analytics_csv_rows, analytics_report, duration
from agents.forms import AnalyticsFilterForm, CannedResponseForm
from agents.models import AgentProfile, CannedResponse, Queue, Teaching
from agents.selectors import (
    ESCALATION_REASONS,
    agent_display_name,
    agent_list_for_assignment,
    canned_response_list_for,
    canned_text_render,
    conversation_can_work,
    conversation_get_by_public_id,
    conversation_is_visible,
    conversation_list_for_inbox,
    conversation_page,
    email_mask,
    inbox_counts,
    inbox_customers,
    inbox_row,
    inbox_rows_with_customers,
    intent_list_for_teaching,
    queue_list_for_agent,
    suggestion_items,
    teaching_list_pending,
    teaching_refusal,
    user_is_agent,
    user_roles,
    user_sees_all_queues,
)
from bot.models import BotModel, ChoiceExample, Conversation, FollowUp, Message
from bot.selectors import (
    CHOICE_REFUSAL_PREFIX,
    bot_model_card,
    choice_example_candidates,
    unanswered_topics,
)
from bot.services import MESSAGE_TEXT_MAX_LENGTH, choice_example_decide, message_redaction_flag
from platform_core.storable_text import INVALID_TEXT_CODE, values_are_storable
from privacy.models import AuditEvent

INBOX_VIEWS = ("waiting", "mine", "all")


def inbox_limit() -> int:
    return int(getattr(settings, "AGENTS_INBOX_LIMIT", 500))


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class AgentRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Logged in and holding an inbox role; anyone else gets 403 (or the login page)."""

    def test_func(self) -> bool:
        return user_is_agent(user=self.request.user)

    def handle_no_permission(self):
        if self.request.user.is_authenticated and wants_json(self.request):
            return JsonResponse(
                {"error": "forbidden", "detail": _("You may not use the inbox.")}, status=403
            )
        return super().handle_no_permission()


def inbox_strings() -> dict[str, str]:
    """Every text the inbox scripts show, translated on the server."""
    return {
        "live": _("Live: new escalations appear here without reloading."),
        "reconnecting": _("Connection lost, reconnecting…"),
        "open": _("Open"),
        "nobody": _("nobody"),
        "empty": _("Nothing here right now."),
        "minutes": _("%(n)s min"),
        "hours": _("%(n)s h %(m)s min"),
        "justNow": _("just now"),
        "newEscalation": _("New escalation waiting"),
        "notifyDenied": _("The browser refused notifications; the sound still plays."),
        "reason_customer_request": _("Customer asked for a person"),
        "reason_low_confidence": _("The bot was not sure"),
        "reason_negative_feedback": _("Customer found an answer unhelpful"),
        "reason_customer_wrote_again": _("Customer wrote again after resolution"),
        "reason_email": _("Came in by e-mail"),
        "reason_follow_up": _("Customer asked for a call back or an e-mail answer"),
        **{f"followUpTime_{value}": str(label) for value, label in FollowUp.PreferredTime.choices},
        "status_waiting": _("Waiting"),
        "status_assigned": _("Assigned"),
        "status_resolved": _("Resolved"),
        "status_closed": _("Closed"),
        "availability_online": _("Online"),
        "availability_away": _("Away"),
        "availability_offline": _("Offline"),
        "saved": _("Saved."),
        "claimedBy": _("%(agent)s claimed a conversation"),
        "statusOnline": _("You are online"),
        "statusAway": _("You are away"),
        "statusOffline": _("You are offline"),
        "notIdentified": _("not identified"),
        "newCustomerMessage": _("New customer message"),
    }


def inbox_rows_named(user) -> list[dict]:
    """The inbox rows with each identified customer's name and masked email: a staff read
    of personal data, recorded (once a day per customer and staff member)."""
    conversations = conversation_list_for_inbox(user=user, limit=inbox_limit())
    customers = inbox_customers(
        conversation_ids=[conversation.pk for conversation in conversations]
    )
    services.inbox_customers_view_record(subjects=list(customers.values()), acting_user=user)
    return inbox_rows_with_customers(
        rows=[inbox_row(conversation) for conversation in conversations], customers=customers
    )


class InboxView(AgentRequiredMixin, TemplateView):
    """The lists; with `Accept: application/json` the rows only (the script reloads them
    after its socket reconnects, so nothing missed while offline stays missing)."""

    template_name = "agents/conversation_list.html"

    def get(self, request, *args, **kwargs):
        if wants_json(request):
            rows = inbox_rows_named(request.user)
            return JsonResponse(
                {"rows": rows, "counts": inbox_counts(rows=rows, user=request.user)}
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        view = self.request.GET.get("view")
        view = view if view in INBOX_VIEWS else "waiting"
        rows = inbox_rows_named(user)
        queues = list(queue_list_for_agent(user=user))
        waiting_per_queue = {queue.pk: 0 for queue in queues}
        for row in rows:
            if (
                row["status"] == Conversation.Status.WAITING
                and row["queue_id"] in waiting_per_queue
            ):
                waiting_per_queue[row["queue_id"]] += 1
        profile = AgentProfile.objects.filter(user=user).first()
        colleagues = (
            AgentProfile.objects.filter(user__is_active=True)
            .select_related("user")
            .order_by("display_name")
        )
        if not user_sees_all_queues(user=user):
            colleagues = colleagues.filter(user__support_queues__in=queues).distinct()
        context.update(
            view=view,
            rows=rows,
            visible_rows=[
                {**row, "escalated": parse_datetime(row["escalated_at"] or "")}
                for row in rows
                if _row_in_view(row, view, user.pk)
            ],
            counts=inbox_counts(rows=rows, user=user),
            queues=[(queue, waiting_per_queue[queue.pk]) for queue in queues],
            roles=user_roles(user=user),
            availability=profile.availability if profile else AgentProfile.Availability.OFFLINE,
            availability_choices=AgentProfile.Availability.choices,
            colleagues=list(colleagues),
            can_approve=user.has_perm("agents.approve_teaching"),
            inbox_state={"rows": rows, "user_id": user.pk, "view": view},
            strings=inbox_strings(),
        )
        return context


def _row_in_view(row: dict, view: str, user_id: int) -> bool:
    if view == "waiting":
        return row["status"] == Conversation.Status.WAITING
    if view == "mine":
        return row["agent_id"] == user_id
    return True


class ConversationMixin(AgentRequiredMixin):
    """Loads the conversation of the URL: 404 if unknown (or erased), 403 if not visible.

    A refusal to a script (Accept: application/json) is JSON too.
    """

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as error:
            if request.user.is_authenticated and wants_json(request):
                detail = str(error) or _("You cannot open this conversation.")
                return JsonResponse({"error": "forbidden", "detail": detail}, status=403)
            raise

    def get_conversation(self) -> Conversation:
        conversation = conversation_get_by_public_id(public_id=self.kwargs["public_id"])
        if conversation is None:
            raise Http404(_("There is no such conversation (it may have been erased)."))
        if not conversation_is_visible(user=self.request.user, conversation=conversation):
            raise PermissionDenied(_("You cannot open this conversation."))
        return conversation


def conversation_strings() -> dict[str, str]:
    return {
        **inbox_strings(),
        "from_customer": _("Customer"),
        "from_bot": _("Bot"),
        "from_agent": _("Agent"),
        "from_system": _("Notice"),
        "liveConversation": _("Live: new messages appear here without reloading."),
        "customerTyping": _("The customer is typing…"),
        "insert": _("Insert"),
        "sending": _("Sending…"),
        "failed": _("Not sent: %(detail)s"),
        "note": _("Internal note"),
        "intent": _("Intent"),
        "confidence": _("confidence"),
        "stateChanged": _("This conversation changed: %(status)s"),
        "noSuggestions": _("The bot has no suggestion for this question."),
        "claimedByOther": _("%(agent)s claimed this conversation."),
        "whyAnswered": _("Why the bot answered"),
        "confidenceLabel": _("Confidence"),
        "closestExamples": _("Closest example questions"),
        "bandHigh": _("high: at or above the answer threshold of %(threshold)s"),
        "bandMedium": _("medium: choices offered (from %(threshold)s)"),
        "bandLow": _("low: below the thresholds"),
    }


def conversation_context(
    request: HttpRequest, conversation: Conversation, *, revealed_email: str = ""
) -> dict:
    user = request.user
    page = conversation_page(conversation=conversation, user=user)
    assignment = page.assignment
    subject = conversation.subject
    values = {
        "name": (subject.name if subject and subject.name else _("customer")),
        "agent": agent_display_name(user),
    }
    canned = [
        {
            "id": response.pk,
            "title": response.title,
            "scope": (
                response.queue.name
                if response.queue_id
                else (_("personal") if response.owner_id else _("everyone"))
            ),
            "text": canned_text_render(response.text, values),
        }
        for response in canned_response_list_for(user=user, conversation=conversation)
    ]
    question = page.last_customer_message.text if page.last_customer_message else ""
    # The customer's last message, as written: the answerer runs in this process, stores nothing.
    suggestions = suggestion_items(question=question, language=conversation.language)
    consent = conversation.consent
    # Replies that went (or were to go) by mail show their delivery, on any channel:
    # also once the follow-up's thread is gone (a mail cancelled shows as not sent).
    replies_mailed = (
        conversation.channel == Conversation.Channel.EMAIL or conversation.mails.exists()
    )
    if replies_mailed:
        # Every agent reply's mail (email_channel's "mail") in one query, not one each.
        prefetch_related_objects(
            [message for message in page.messages if message.sender == Message.Sender.AGENT],
            "mail",
        )
    return {
        "conversation": conversation,
        "page": page,
        "assignment": assignment,
        "subject": subject,
        "reason_label": ESCALATION_REASONS.get(
            conversation.escalation_reason, conversation.escalation_reason
        ),
        "email_masked": email_mask(subject.email) if subject else "",
        "revealed_email": revealed_email,
        "can_reveal": user.has_perm("privacy.view_personal_data"),
        "reveal_reasons": [
            (code, AuditEvent.Reason(code).label) for code in services.EMAIL_REVEAL_REASONS
        ],
        "consent": consent,
        "consent_withdrawn": bool(consent and consent.withdrawn_at),
        # Call backs and e-mail answers the customer asked for (bot.follow_ups); opening
        # the page is the audited read of their number or address.
        "follow_ups": list(conversation.follow_ups.order_by("created_at")),
        # Replies go out by mail from Supportdesk (email_channel's thread: an address left
        # in the chat or an "answer by e-mail" follow-up, with an active mailbox).
        "answered_by_mail": hasattr(conversation, "mail_thread"),
        "replies_mailed": replies_mailed,
        "is_active": conversation.status
        in (
            Conversation.Status.WAITING,
            Conversation.Status.ASSIGNED,
        ),
        "agent_name": agent_display_name(assignment.agent) if assignment else "",
        "is_mine": bool(assignment and assignment.agent_id == user.pk),
        "can_work": conversation_can_work(user=user, conversation=conversation),
        "suggestions": suggestions,
        "canned": canned,
        "queues": Queue.objects.order_by("name"),
        "agents": agent_list_for_assignment(conversation=conversation),
        "intents": intent_list_for_teaching(language=get_language() or conversation.language),
        "teaching_refused": teaching_refusal(conversation)[1],
        "message_max_length": MESSAGE_TEXT_MAX_LENGTH,
        "conversation_state": {
            "id": conversation.public_id.hex,
            "status": conversation.status,
            "last_seq": conversation.last_seq,
            "language": conversation.language,
            "canned": canned,
            "suggestions": suggestions,
            "user_id": user.pk,
            # Live times are shown in the zone the server renders the page in, not the
            # browser's, so a message reads the same before and after a reload.
            "time_zone": timezone.get_current_timezone_name(),
        },
        "strings": conversation_strings(),
    }


class ConversationView(ConversationMixin, TemplateView):
    """The whole transcript; opening it is a staff read of personal data, so it is audited."""

    template_name = "agents/conversation_detail.html"

    def get(self, request, *args, **kwargs):
        conversation = self.get_conversation()
        services.conversation_view_record(conversation=conversation, acting_user=request.user)
        return render(request, self.template_name, conversation_context(request, conversation))


class ConversationActionView(ConversationMixin, View, ABC):
    """POST only: one service call; JSON for the page's script, else redirect back."""

    http_method_names = ["post"]
    success_message = ""
    # The id of the element that gets focus on the page after the redirect (the
    # page's script focuses it), so a keyboard user continues where the next step is.
    focus_after = ""

    @abstractmethod
    def perform(self, request: HttpRequest, conversation: Conversation) -> dict | None:
        """Call the action's service; what it returns goes into the JSON answer.
        Raises services.InboxError when the action is refused."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        conversation = self.get_conversation()
        try:
            # Every field of every action (slugs, titles, ids as well as texts): one NUL
            # character reaching a query or an INSERT on PostgreSQL would be a 500.
            if not values_are_storable(dict(request.POST.lists())):
                raise services.InboxError(
                    _("This text contains characters that cannot be stored (such as NUL)."),
                    code=INVALID_TEXT_CODE,
                )
            result = self.perform(request, conversation)
        except services.InboxError as error:
            status = 409 if error.code in services.CONFLICT_CODES else 400
            detail = " ".join(error.messages)
            if wants_json(request):
                return JsonResponse({"error": error.code, "detail": detail}, status=status)
            messages.error(request, detail)
            return redirect(self.success_url(conversation))
        if wants_json(request):
            return JsonResponse({"ok": True, **(result or {})})
        return self.html_response(request, conversation, result)

    def html_response(
        self, request: HttpRequest, conversation: Conversation, result: dict | None
    ) -> HttpResponse:
        """Without script: back to the conversation, with the success message."""
        if self.success_message:
            messages.success(request, self.success_message)
        url = self.success_url(conversation)
        return redirect(f"{url}#{self.focus_after}" if self.focus_after else url)

    def success_url(self, conversation: Conversation) -> str:
        return reverse("agents:conversation", kwargs={"public_id": conversation.public_id})


class ClaimView(ConversationActionView):
    success_message = gettext_lazy("You have claimed this conversation. Reply below.")
    focus_after = "reply-text"

    def perform(self, request, conversation):
        services.conversation_claim(conversation=conversation, agent=request.user)
        return {"status": Conversation.Status.ASSIGNED}


class ReplyView(ConversationActionView):
    def perform(self, request, conversation):
        message = services.conversation_reply(
            conversation=conversation, agent=request.user, text=request.POST.get("text", "")
        )
        return {"seq": message.seq}


class NoteView(ConversationActionView):
    def perform(self, request, conversation):
        note = services.note_add(
            conversation=conversation, author=request.user, text=request.POST.get("text", "")
        )
        return {"id": note.pk}


class RedactionFlagView(ConversationActionView):
    """Personal data left in a redacted text: it is redacted again (audited)."""

    success_message = _("Thank you: the text was redacted again.")

    def perform(self, request, conversation):
        message = Message.objects.filter(
            conversation=conversation,
            seq=request.POST.get("seq") if str(request.POST.get("seq", "")).isdigit() else -1,
            sender__in=[Message.Sender.CUSTOMER, Message.Sender.AGENT],
        ).first()
        if message is None:
            raise services.InboxError(_("There is no such text to redact."), code="unknown_message")
        message.conversation = conversation
        message_redaction_flag(
            message=message, missed=request.POST.get("missed", ""), acting_user=request.user
        )
        return {"seq": message.seq}


class ResolveView(ConversationActionView):
    success_message = gettext_lazy(
        "The conversation is resolved; the customer is asked for a rating."
    )
    focus_after = "flash"

    def perform(self, request, conversation):
        services.conversation_resolve_by_agent(conversation=conversation, agent=request.user)
        return {"status": Conversation.Status.RESOLVED}


class ReopenView(ConversationActionView):
    success_message = gettext_lazy("The conversation is open again.")
    focus_after = "reply-text"

    def perform(self, request, conversation):
        services.conversation_reopen(conversation=conversation, agent=request.user)
        return {"status": Conversation.Status.ASSIGNED}


class TransferView(ConversationActionView):
    def perform(self, request, conversation):
        services.conversation_transfer(
            conversation=conversation,
            queue_id=request.POST.get("queue", ""),
            acting_user=request.user,
        )
        return {"status": Conversation.Status.WAITING}

    def success_url(self, conversation):
        # Transferred away: this agent may no longer see it.
        if conversation_is_visible(user=self.request.user, conversation=conversation):
            return super().success_url(conversation)
        return reverse("agents:inbox")


class AssignView(ConversationActionView):
    def perform(self, request, conversation):
        agent_id = request.POST.get("agent", "")
        agent = None
        if agent_id.isdigit():
            agent = get_user_model().objects.filter(pk=int(agent_id)).first()
        if agent is None:
            raise services.InboxError(_("There is no such agent."), code="unknown_agent")
        services.conversation_assign(
            conversation=conversation, agent=agent, acting_user=request.user
        )
        return {"status": Conversation.Status.ASSIGNED}

    def success_url(self, conversation):
        if conversation_is_visible(user=self.request.user, conversation=conversation):
            return super().success_url(conversation)
        return reverse("agents:inbox")


class TeachView(ConversationActionView):
    success_message = ""

    def perform(self, request, conversation):
        teaching = services.teaching_create(
            conversation=conversation,
            agent=request.user,
            intent_slug=request.POST.get("intent", "").strip(),
            proposed_slug=request.POST.get("proposed_slug", ""),
            proposed_title=request.POST.get("proposed_title", ""),
            proposed_answer=request.POST.get("proposed_answer", ""),
        )
        self.success_message = (
            _("Thank you: the bot has learnt this.")
            if teaching.status == Teaching.Status.APPROVED
            else _("Thank you: a supervisor will review what you taught.")
        )
        return {"teaching": teaching.pk, "status": teaching.status}


class RevealEmailView(ConversationActionView):
    """Unmask the customer's email; audited. Without script: the page, rendered with it."""

    def perform(self, request, conversation):
        email = services.subject_email_reveal(
            conversation=conversation,
            acting_user=request.user,
            reason_code=request.POST.get("reason_code", ""),
            note=request.POST.get("note", ""),
        )
        return {"email": email}

    def html_response(self, request, conversation, result):
        context = conversation_context(request, conversation, revealed_email=result["email"])
        return render(request, "agents/conversation_detail.html", context)


class FollowUpDoneView(ConversationActionView):
    """The customer was called back or answered by e-mail: their contact is forgotten."""

    success_message = gettext_lazy("Done: the customer's number or address is forgotten.")
    focus_after = "follow-ups-title"

    def perform(self, request, conversation):
        follow_up = services.follow_up_mark_done(
            conversation=conversation,
            follow_up_id=request.POST.get("follow_up", ""),
            agent=request.user,
        )
        return {"follow_up": follow_up.pk}


class AvailabilityView(AgentRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            profile = services.agent_availability_set(
                user=request.user, availability=request.POST.get("availability")
            )
        except services.InboxError as error:
            if wants_json(request):
                return JsonResponse(
                    {"error": error.code, "detail": " ".join(error.messages)}, status=400
                )
            messages.error(request, " ".join(error.messages))
            return redirect("agents:inbox")
        if wants_json(request):
            return JsonResponse({"ok": True, "availability": profile.availability})
        return redirect("agents:inbox")


class CannedResponseListView(AgentRequiredMixin, TemplateView):
    """The canned responses a user may use, and the form for a new one; a refused form
    comes back with each error on its field."""

    template_name = "agents/cannedresponse_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_manage_queues = user.has_perm("agents.change_cannedresponse")
        form = kwargs.get("form") or self.form()
        if not can_manage_queues:
            del form.fields["queue"]
        context["form"] = form
        context["responses"] = canned_response_list_for(user=user).order_by("queue__name", "title")
        context["can_manage_queues"] = can_manage_queues
        return context

    def form(self, data=None) -> CannedResponseForm:
        return CannedResponseForm(data, queues=queue_list_for_agent(user=self.request.user))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                services.canned_response_create(
                    acting_user=request.user,
                    title=form.cleaned_data["title"],
                    text=form.cleaned_data["text"],
                    language=form.cleaned_data["language"],
                    queue=form.cleaned_data["queue"],
                )
            except (services.InboxError, PermissionDenied) as error:
                form.add_error(None, error.messages if hasattr(error, "messages") else str(error))
            else:
                messages.success(request, _("Canned response saved."))
                return redirect("agents:canned")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CannedResponseDeleteView(AgentRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        response = get_object_or_404(CannedResponse, pk=pk)
        services.canned_response_delete(canned_response=response, acting_user=request.user)
        messages.success(request, _("Canned response deleted."))
        return redirect("agents:canned")


class TeachingRequiredMixin(AgentRequiredMixin):
    def test_func(self) -> bool:
        return super().test_func() and self.request.user.has_perm("agents.approve_teaching")


class TeachingListView(TeachingRequiredMixin, TemplateView):
    template_name = "agents/teaching_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["teachings"] = teaching_list_pending()
        # Questions customers answered with the same "Did you mean …?" choice, often enough.
        context["choice_candidates"] = [
            candidate
            for candidate in choice_example_candidates()
            if candidate.decision == ChoiceExample.Decision.PENDING
        ]
        context["choice_min"] = settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES
        return context


class ChoiceExampleDecideView(TeachingRequiredMixin, View):
    """A supervisor approves (the bot learns it) or refuses a question learnt from choices."""

    http_method_names = ["post"]
    approve = True

    def post(self, request, pk: int):
        example = get_object_or_404(
            ChoiceExample.objects.select_related("intent").exclude(
                text__startswith=CHOICE_REFUSAL_PREFIX
            ),
            pk=pk,
        )
        choice_example_decide(example=example, approve=self.approve, acting_user=request.user)
        messages.success(
            request,
            _("Approved: the bot learns this question.") if self.approve else _("Rejected."),
        )
        return redirect("agents:teachings")


class TeachingDecideView(TeachingRequiredMixin, View):
    http_method_names = ["post"]
    decision = "approve"

    def post(self, request, pk: int):
        teaching = get_object_or_404(Teaching, pk=pk)
        try:
            if self.decision == "approve":
                # The proposal as the supervisor left it in the form (edited or not).
                edits = {
                    key: request.POST[key]
                    for key in ("question", "title", "slug", "answer")
                    if key in request.POST
                }
                services.teaching_approve(teaching=teaching, acting_user=request.user, edits=edits)
            else:
                services.teaching_reject(teaching=teaching, acting_user=request.user)
        except services.InboxError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Approved: the bot learns this question.")
                if self.decision == "approve"
                else _("Rejected."),
            )
        return redirect("agents:teachings")


class AnalyticsMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """For supervisors: the period and queue asked for in the query string, validated."""

    permission_required = "agents.view_analytics"

    def filter_form(self) -> AnalyticsFilterForm:
        return AnalyticsFilterForm(
            self.request.GET or None,
            initial=AnalyticsFilterForm.defaults(),
            queues=queue_list_for_agent(user=self.request.user),
        )

    def report(self, form: AnalyticsFilterForm):
        filters = form.cleaned_data if form.is_bound and form.is_valid() else form.defaults()
        return analytics_report(**filters)


class AnalyticsView(AnalyticsMixin, TemplateView):
    """Automation, answer precision, volume by channel and hour, first-response and
    resolution times, satisfaction per agent and queue, escalation reasons and top intents
    as charts (each with its table); the topics the bot could not answer; the model cards.
    A filter the form refuses shows its errors above the default period's figures."""

    template_name = "agents/analytics.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filter_form()
        report = self.report(form)
        context.update(
            form=form,
            report=report,
            totals=report.totals,
            charts=analytics_charts(report),
            first_response_median=duration(report.first_response.median),
            resolution_median=duration(report.resolution.median),
            export_query=self.request.GET.urlencode(),
            topics=unanswered_topics(since=report.since, until=report.until),
            # The active model of each language, with its card (figures, history).
            model_cards=[
                bot_model_card(record=record)
                for record in BotModel.objects.filter(status=BotModel.Status.ACTIVE).order_by(
                    "language"
                )
            ],
        )
        return context


class AnalyticsExportView(AnalyticsMixin, View):
    """The page's figures as CSV (no personal data: the export needs no audit entry)."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        form = self.filter_form()
        if form.is_bound and not form.is_valid():
            errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        report = self.report(form)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"analytics-{report.since.isoformat()}-{report.until.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerows(analytics_csv_rows(report))
        return response
