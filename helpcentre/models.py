"""The help centre's articles, its search index and its counters.

An article is a knowledge-base answer (bot.IntentAnswer) shown on the web; what the
help centre adds (a category, a longer body) is set in the admin. Nothing here holds
personal data: the counters are per day and article, searches without a good hit are
kept only as redacted text, and the contact form's texts live in the conversation.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bot.models import LANGUAGE_MAX_LENGTH, Conversation, IntentAnswer
from privacy.validators import title_validator


class Category(models.Model):
    """A heading the help centre groups its articles under, in one language."""

    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    title = models.CharField(_("title"), max_length=100, validators=[title_validator])
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help-centre category")
        verbose_name_plural = _("help-centre categories")
        ordering = ["language", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "title"], name="help_category_unique_title_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Article(models.Model):
    """What the help centre shows beside a knowledge-base answer: category and longer body."""

    answer = models.OneToOneField(
        IntentAnswer,
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        related_name="help_article",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    body = models.TextField(
        _("longer text"),
        blank=True,
        help_text=_("Shown below the answer in the help centre; paragraphs by blank lines."),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("help-centre article")
        verbose_name_plural = _("help-centre articles")
        ordering = ["answer"]

    def __str__(self) -> str:
        return str(self.answer)


class SearchDocument(models.Model):
    """One answer as the text search sees it: title, answer, longer body, example questions.

    Derived from the knowledge base (services.search_index_refresh keeps it current);
    the database's own full-text index covers it: an FTS5 table on SQLite, GIN indexes
    on PostgreSQL (migration 0001).
    """

    answer = models.OneToOneField(IntentAnswer, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=LANGUAGE_MAX_LENGTH, db_index=True)
    title = models.CharField(max_length=200)
    content = models.TextField()
    # SHA-256 of title and content: a refresh rewrites only what changed.
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return self.title


class ArticleDailyCount(models.Model):
    """Per answer and day: help-centre votes and contact-form deflections (counts only)."""

    answer = models.ForeignKey(
        IntentAnswer, on_delete=models.CASCADE, related_name="help_daily_counts"
    )
    day = models.DateField(_("day"))
    helpful = models.PositiveIntegerField(_("helpful"), default=0)
    unhelpful = models.PositiveIntegerField(_("not helpful"), default=0)
    # "This answered my question" under the contact form.
    deflections = models.PositiveIntegerField(_("answered before sending"), default=0)

    class Meta:
        verbose_name = _("article count")
        verbose_name_plural = _("article counts")
        constraints = [
            models.UniqueConstraint(fields=["answer", "day"], name="article_count_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.answer_id} {self.day}"


class ContactFormDailyCount(models.Model):
    """Per day and language: contact forms sent, and of those after suggestions were shown."""

    day = models.DateField(_("day"))
    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    sent_after_suggestions = models.PositiveIntegerField(_("sent after suggestions"), default=0)

    class Meta:
        verbose_name = _("contact-form count")
        verbose_name_plural = _("contact-form counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "language"], name="contact_form_count_unique_per_day"
            ),
            models.CheckConstraint(
                condition=Q(sent_after_suggestions__lte=models.F("sent")),
                name="contact_form_count_after_suggestions_within_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.language}"


class SearchMiss(models.Model):
    """A help-centre search without a good hit, redacted: what the knowledge base lacks."""

    language = models.CharField(_("language"), max_length=LANGUAGE_MAX_LENGTH)
    text_redacted = models.CharField(_("search without personal data"), max_length=200)
    created_at = models.DateTimeField(_("searched at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("search without a good hit")
        verbose_name_plural = _("searches without a good hit")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text_redacted


class ContactFormSubmission(models.Model):
    """That a conversation came from the contact form, and whether answers were shown first.

    The form's texts are the conversation's messages (encrypted, with a redacted copy).
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="contact_form"
    )
    suggestions_shown = models.BooleanField(_("answers were suggested first"), default=False)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contact-form submission")
        verbose_name_plural = _("contact-form submissions")

    def __str__(self) -> str:
        return f"Contact form {self.conversation_id}"
