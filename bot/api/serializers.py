from rest_framework import serializers

from bot.models import BotModel, Intent


class IntentOutputSerializer(serializers.ModelSerializer):
    titles = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    examples = serializers.SerializerMethodField()

    class Meta:
        model = Intent
        fields = [
            "id",
            "slug",
            "topic",
            "is_active",
            "action",
            "action_queue",
            "action_url",
            "titles",
            "answers",
            "examples",
            "updated_at",
        ]

    def get_titles(self, intent) -> dict[str, str]:
        return {answer.language: answer.title for answer in intent.answers.all()}

    def get_answers(self, intent) -> dict[str, str]:
        return {answer.language: answer.text for answer in intent.answers.all()}

    def get_examples(self, intent) -> dict[str, list[str]]:
        examples: dict[str, list[str]] = {}
        for example in intent.examples.all():
            examples.setdefault(example.language, []).append(example.text)
        return examples


class IntentInputSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    topic = serializers.CharField(max_length=50, allow_blank=True, default="")
    is_active = serializers.BooleanField(default=True)
    # What the bot does when it answers with the intent (bot.intent_actions); checked by
    # the service (bot.models.intent_action_check).
    action = serializers.ChoiceField(choices=Intent.Action.choices, allow_blank=True, default="")
    action_queue = serializers.SlugField(max_length=100, allow_blank=True, default="")
    action_url = serializers.CharField(max_length=500, allow_blank=True, default="")
    titles = serializers.DictField(child=serializers.CharField(max_length=200))
    answers = serializers.DictField(child=serializers.CharField(max_length=4000))
    examples = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=500), max_length=2000)
    )


class KnowledgeBaseImportInputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    intents = serializers.ListField(child=serializers.DictField())


class KnowledgeBaseImportOutputSerializer(serializers.Serializer):
    intents = serializers.IntegerField(help_text="new intents")
    answers = serializers.IntegerField(help_text="new answers")
    examples = serializers.IntegerField(help_text="new example questions")


class AnalyticsDayOutputSerializer(serializers.Serializer):
    day = serializers.DateField()
    conversations = serializers.IntegerField(help_text="started that day, with a question")
    automated = serializers.IntegerField(help_text="of those, never handed to a person")
    automation_rate = serializers.FloatField(allow_null=True)
    questions = serializers.IntegerField()
    bot_answers = serializers.IntegerField()
    model_answers = serializers.IntegerField(help_text="bot replies worked out by a trained model")
    fallback_answers = serializers.IntegerField(
        help_text="bot replies worked out by the keyword matcher"
    )
    degraded_answers = serializers.IntegerField(
        help_text="of those, given while the active model could not be used (damaged file)"
    )
    fallback_share = serializers.FloatField(
        allow_null=True, help_text="fallback_answers / (model_answers + fallback_answers)"
    )
    escalation_reasons = serializers.DictField(child=serializers.IntegerField())
    feedback_helpful = serializers.IntegerField()
    feedback_unhelpful = serializers.IntegerField()
    answer_precision = serializers.FloatField(
        allow_null=True, help_text="share of rated bot answers rated helpful"
    )
    csat_count = serializers.IntegerField()
    csat_average = serializers.FloatField(allow_null=True)


class BotModelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = BotModel
        fields = [
            "id",
            "language",
            "version",
            "status",
            "checksum",
            "training_fingerprint",
            "examples_count",
            "metrics",
            "thresholds",
            "error",
            "created_at",
            "activated_at",
        ]


class BotModelTrainInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=["de", "en"])
