"""One follow-up (issue 17): the address a web-chat customer left while waiting becomes the
follow-up's e-mail choice (bot.FollowUp, consent purpose "follow_up", retention
"follow_ups"), as the bot's follow-up form records it.

- Consent records of the old purpose "follow_up_email" get "follow_up": the customer
  agreed to be answered by e-mail at the address they gave, which is what "follow_up"
  covers for an address ("... answering you by e-mail, with the contact you gave for
  it"); the policy version, the times and the withdrawal stay as they were.
- A conversation with such an address (its mail thread) and consent still standing gets
  the follow-up the form would have made: an open "answer by e-mail" task in the inbox
  with the address, linked to that consent, from when it was given; so the agent can
  mark it done and retention and housekeeping treat it as every other.
- The record of processing (Art. 30): the chat's part of "Answers by e-mail after a chat
  or the contact form" moves to "Call backs and e-mail answers"; the first is renamed
  "Answers by e-mail to the contact form". Texts the operator edited stay as written.
  The texts are repeated for translation in privacy.activity_texts.
"""

from django.db import migrations

OLD_PURPOSE, PURPOSE = "follow_up_email", "follow_up"
# Conversations whose thread is how the customer wrote to us: no follow-up there.
THREAD_CHANNELS = ("email", "form")

FORM_ACTIVITY_OLD = "Answers by e-mail after a chat or the contact form"
FORM_ACTIVITY = "Answers by e-mail to the contact form"
FORM_TEXTS = {
    "purpose": (
        "Sending the team's answer by e-mail to a customer who left an address while "
        "waiting in the chat, or who wrote through the contact form.",
        "Sending the team's answer by e-mail to a customer who wrote through the contact form.",
    ),
    "subject_categories": (
        "Customers who left their e-mail address in the chat or used the contact form.",
        "Customers who used the contact form.",
    ),
    "technical_measures": (
        "Separate consent for the address in the chat; the address stored encrypted and "
        "deleted with the conversation.",
        "The address typed into the form, stored encrypted and deleted with the conversation.",
    ),
}
FOLLOW_UP_ACTIVITY = "Call backs and e-mail answers"
FOLLOW_UP_TEXTS = {
    "purpose": (
        "Calling customers back or answering them by e-mail when they ask for it in the chat.",
        "Calling customers back or answering them by e-mail when they ask for it in the chat "
        "(offered while they wait for the team, or by the chatbot); their reply by e-mail "
        "continues the conversation.",
    ),
    "data_categories": (
        "Phone number or e-mail address (only the one chosen), preferred time of day.",
        "Phone number or e-mail address (only the one chosen), preferred time of day; for an "
        "answer by e-mail, our answers and the customer's replies by e-mail.",
    ),
    "technical_measures": (
        "Asked for on a form with consent; encrypted at rest; shown only on the conversation "
        "page (audited read); forgotten when done or after the retention period.",
        "Asked for with consent, in the chat or on a form; encrypted at rest; shown only on "
        "the conversation page (audited read); forgotten when done or after the retention "
        "period.",
    ),
}


def follow_ups_unify(apps, schema_editor):
    ConsentRecord = apps.get_model("privacy", "ConsentRecord")
    Conversation = apps.get_model("bot", "Conversation")
    FollowUp = apps.get_model("bot", "FollowUp")
    MailThread = apps.get_model("email_channel", "MailThread")
    # A text match on the JSON list (as privacy.selectors does): SQLite has no JSON contains.
    for record in ConsentRecord.objects.filter(purposes__icontains=f'"{OLD_PURPOSE}"'):
        record.purposes = sorted({PURPOSE if p == OLD_PURPOSE else p for p in record.purposes})
        record.save(update_fields=["purposes"])
        if record.withdrawn_at is not None:
            continue
        conversation = (
            Conversation.objects.filter(public_id=record.reference)
            .exclude(channel__in=THREAD_CHANNELS)
            .first()
        )
        thread = MailThread.objects.filter(conversation=conversation).first()
        if thread is None or FollowUp.objects.filter(
            conversation=conversation, method="email", done_at__isnull=True
        ).exists():
            continue
        FollowUp.objects.create(
            conversation=conversation,
            method="email",
            contact=thread.customer_address,
            preferred_time="any",
            consent=record,
            created_at=record.granted_at,
        )
    _texts_update(apps, FORM_ACTIVITY_OLD, FORM_TEXTS, rename=FORM_ACTIVITY)
    _texts_update(apps, FOLLOW_UP_ACTIVITY, FOLLOW_UP_TEXTS)


def _texts_update(apps, name, texts, rename=None):
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    activity = ProcessingActivity.objects.filter(name=name).first()
    if activity is None:
        return
    for field, (old, new) in texts.items():
        if getattr(activity, field) == old:  # not edited by the operator
            setattr(activity, field, new)
    if rename and not ProcessingActivity.objects.filter(name=rename).exists():
        activity.name = rename
    activity.save()


class Migration(migrations.Migration):
    dependencies = [
        ("email_channel", "0003_processing_activities"),
        ("bot", "0014_suggestion_choice"),
        ("privacy", "0018_follow_up"),
    ]

    # One way: after it, the two follow-ups are one and cannot be told apart again.
    operations = [migrations.RunPython(follow_ups_unify, migrations.RunPython.noop)]
