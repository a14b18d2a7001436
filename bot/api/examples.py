"""OpenAPI examples of the knowledge-base, model and analytics endpoints.

Taken from the demo knowledge base; each value is what the serializer returns or
accepts, to the field (tests/platform_core/test_openapi_examples.py validates them).
"""

from drf_spectacular.utils import OpenApiExample

_TITLES = {"de": "Versandkosten", "en": "Shipping costs"}
_ANSWERS = {
    "de": "Der Standardversand mit DHL kostet 4,95 EUR, ab einem Bestellwert von 50 EUR "
    "liefern wir versandkostenfrei.",
    "en": "Standard shipping with DHL costs 4.95 EUR, and orders of 50 EUR or more ship "
    "free of charge.",
}
_QUESTIONS = {
    "de": ["Was kostet der Versand?", "Gibt es kostenlosen Versand?"],
    "en": ["How much is shipping?", "Do you offer free shipping?"],
}
_INTENT = {
    "slug": "shipping_costs",
    "topic": "shipping",
    "is_active": True,
    "titles": _TITLES,
    "answers": _ANSWERS,
    "examples": _QUESTIONS,
}

INTENT_REQUEST = OpenApiExample("Shipping costs", value=_INTENT, request_only=True)
INTENT_RESPONSE = OpenApiExample(
    "Shipping costs",
    value={"id": 8, **_INTENT, "updated_at": "2026-11-20T14:03:12.481920+01:00"},
    response_only=True,
)

# The export's format is the import's: "name" holds the titles.
_KNOWLEDGE_BASE = {
    "version": 1,
    "intents": [
        {
            "slug": "shipping_costs",
            "topic": "shipping",
            "is_active": True,
            "name": _TITLES,
            "answers": _ANSWERS,
            "examples": _QUESTIONS,
        }
    ],
}
_KNOWLEDGE_BASE_CSV = (
    "slug,topic,language,field,text\n"
    "shipping_costs,shipping,de,title,Versandkosten\n"
    "shipping_costs,shipping,en,title,Shipping costs\n"
    f'shipping_costs,shipping,de,answer,"{_ANSWERS["de"]}"\n'
    f'shipping_costs,shipping,en,answer,"{_ANSWERS["en"]}"\n'
    "shipping_costs,shipping,de,example,Was kostet der Versand?\n"
    "shipping_costs,shipping,de,example,Gibt es kostenlosen Versand?\n"
    "shipping_costs,shipping,en,example,How much is shipping?\n"
    "shipping_costs,shipping,en,example,Do you offer free shipping?\n"
)
KNOWLEDGE_BASE_REQUEST = OpenApiExample(
    "One intent in two languages", value=_KNOWLEDGE_BASE, request_only=True
)
KNOWLEDGE_BASE_RESPONSE = OpenApiExample(
    "One intent in two languages", value=_KNOWLEDGE_BASE, response_only=True
)
KNOWLEDGE_BASE_CSV_REQUEST = OpenApiExample(
    "One intent in two languages",
    value=_KNOWLEDGE_BASE_CSV,
    media_type="text/csv",
    request_only=True,
)
KNOWLEDGE_BASE_CSV_RESPONSE = OpenApiExample(
    "One intent in two languages",
    value=_KNOWLEDGE_BASE_CSV,
    media_type="text/csv",
    response_only=True,
)
IMPORTED = OpenApiExample(
    "A new intent", value={"intents": 1, "answers": 2, "examples": 4}, response_only=True
)

TRAIN = OpenApiExample("German", value={"language": "de"}, request_only=True)
BOT_MODEL = OpenApiExample(
    "The active German model",
    value={
        "id": 5,
        "language": "de",
        "version": 5,
        "status": "active",
        "checksum": "aecc88022ef625e3acf0ac5288f62bc7cb2c18323795bf1de5bda908cb2eb254",
        "training_fingerprint": "8094800b97f50b5edd07ea698255896737f7dd9aaa703bdcac3b26b3254c6360",
        "examples_count": 492,
        "metrics": {
            "language": "de",
            "intents": 41,
            "train_examples": 410,
            "calibration": "5-fold cross-validation",
            "calibration_examples": 410,
            "test_examples": 82,
            "test_out_of_scope": 9,
            "in_scope_accuracy": 0.8293,
            "out_of_scope_recall": 0.7778,
            "out_of_scope_precision": 0.5833,
            "automation_rate": 0.6341,
            "answer_precision": 0.9615,
            "suggestion_rate": 0.122,
            "suggestion_hit_rate": 0.8,
            "escalation_rate": 0.2439,
            "training_seconds": 9.67,
            "training_cpu_seconds": 6.84,
            "epochs": 8,
            "latency_p50_ms": 0.09,
            "latency_p95_ms": 0.2,
            "answer_threshold": 0.5944,
            "suggest_threshold": 0.5396,
            "suggestions": 3,
            "keyword_baseline": {
                "in_scope_accuracy": 0.3902,
                "answer_precision": 0.5714,
                "automation_rate": 0.0854,
            },
        },
        "thresholds": {
            "answer": 0.5944,
            "suggest": 0.5396,
            "suggestions": 3,
            "target_precision": 0.95,
            "suggest_target": 0.8,
            "out_of_scope_share": 0.1,
            "calibration_examples": 410,
            "calibration_precision": 0.9692,
            "calibration_automation": 0.6098,
        },
        "error": "",
        "created_at": "2026-11-26T03:00:04.118502+01:00",
        "activated_at": "2026-11-26T03:00:13.902367+01:00",
    },
    response_only=True,
)

ANALYTICS_DAY = OpenApiExample(
    "A weekday",
    value={
        "day": "2026-11-26",
        "conversations": 184,
        "automated": 139,
        "automation_rate": 0.7554,
        "questions": 231,
        "bot_answers": 176,
        "model_answers": 150,
        "fallback_answers": 26,
        "degraded_answers": 0,
        "fallback_share": 0.1477,
        "escalation_reasons": {
            "low_confidence": 27,
            "customer_request": 14,
            "negative_feedback": 4,
        },
        "feedback_helpful": 61,
        "feedback_unhelpful": 9,
        "answer_precision": 0.8714,
        "csat_count": 22,
        "csat_average": 4.32,
    },
    response_only=True,
)
