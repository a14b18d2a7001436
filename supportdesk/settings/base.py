"""Settings shared by every environment; each value comes from the environment.

local.py (make run), test.py (make test) and production.py only change what
differs. Every variable read here is listed with its default in the README.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

# The checkout Supportdesk runs from: templates/, static/, locale/, .env and var/ are found
# here. The packages' own data (word lists, name recognisers, the demo knowledge base) ships
# inside them, so an installed wheel names its checkout in SUPPORTDESK_HOME.
BASE_DIR = Path(
    os.environ.get("SUPPORTDESK_HOME") or Path(__file__).resolve().parent.parent.parent
).resolve()
if not (BASE_DIR / "templates").is_dir():
    raise ImproperlyConfigured(
        f"{BASE_DIR} is not a Supportdesk checkout (no templates/ in it): Supportdesk runs "
        "from its checkout; with the packages installed from a wheel, set SUPPORTDESK_HOME "
        "to the checkout's directory."
    )

env = environ.Env()
# `make run` writes .env with freshly generated development keys on first
# start; a real environment variable always wins over the file. Production
# reads only the real environment unless DJANGO_READ_DOT_ENV_FILE says otherwise.
ENV_FILE = BASE_DIR / ".env"
_is_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=not _is_production) and ENV_FILE.exists():
    environ.Env.read_env(str(ENV_FILE), overwrite=False)

# Secrets have no default here: every settings module decides what happens
# when they are missing (local/test supply development values, production refuses).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
# Fernet keys, newest first. Old keys stay readable until
# `manage.py rotate_encryption_keys` has re-encrypted every row.
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])
# Key of the keyed hash used to find a data subject by email (blind index).
# Separate from the encryption keys: leaking one must not expose the other.
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "encrypted_model_fields",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "platform_core",
    "event_pipeline",
    "supportdesk",
    "privacy",
    "bot",
    "staff",
    "agents",
    "helpcentre",
    "email_channel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "supportdesk.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "supportdesk.middleware.LanguageFromQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "staff.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lock-out into its page (staff.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
ASGI_APPLICATION = "supportdesk.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "supportdesk.context_processors.health_banner",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the chat read while the Celery worker writes; IMMEDIATE avoids
    # "database is locked" on read-then-write transactions. secure_delete zeroes what
    # a delete frees, so erased rows leave no bytes in the file (set here, not left to
    # how the distribution compiled SQLite); the WAL is checkpointed after erasure.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA secure_delete=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Keep the connection: reopening it (and its PRAGMAs) per websocket frame is costly.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # Checks a kept connection (a SELECT 1 round trip) before the first statement of each
    # request and each trip to the chat's database thread, unless it committed within the
    # last second (platform_core.postgresql); off, a connection that broke (PostgreSQL
    # restarted) fails the one request that finds it, then is replaced.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
        "DATABASE_CONN_HEALTH_CHECKS", default=True
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with the health check skipped right after a commit (platform_core.postgresql).
    DATABASES["default"]["ENGINE"] = "platform_core.postgresql"
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip()
    if _prepare_threshold and not _prepare_threshold.isdigit():
        raise ImproperlyConfigured(
            f"DATABASE_PREPARE_THRESHOLD is {_prepare_threshold!r}: give a whole number"
            " (0 prepares every statement) or leave it empty (never prepare)."
        )
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        # psycopg sends the parameters beside the statement instead of quoting them into
        # its text in Python, which also lets PostgreSQL keep prepared statements.
        "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
        # Statements run this many times on a connection are prepared there (parsed and
        # planned once); empty: never (for PgBouncer before 1.21 in transaction mode).
        # Needs DATABASE_SERVER_SIDE_BINDING.
        "prepare_threshold": int(_prepare_threshold) if _prepare_threshold else None,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "agents:login"
# The page the role may see: the inbox, the privacy dashboard or the admin (staff.selectors).
LOGIN_REDIRECT_URL = "staff:start"
LOGOUT_REDIRECT_URL = "agents:login"

# Staff accounts (staff/, README "Staff accounts"). ---------------------------------------
# Second factor (django-otp: an authenticator app, TOTP, and one-time recovery codes):
# required for these roles (and superusers), for an agent once they enrolled, and for
# every staff account when STAFF_2FA_REQUIRED_FOR_ALL is set.
STAFF_2FA_REQUIRED_ROLES = env.list(
    "STAFF_2FA_REQUIRED_ROLES", default=["admin", "privacy officer"]
)
STAFF_2FA_REQUIRED_FOR_ALL = env.bool("STAFF_2FA_REQUIRED_FOR_ALL", default=False)
OTP_TOTP_ISSUER = env.str("STAFF_2FA_ISSUER", default="Supportdesk")
# The admin lists devices but never shows a secret: no key, QR code or recovery code of an
# enrolled device (with them, an admin could sign in as a colleague). A lost device is reset.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A session unused this long ends (its open inbox sockets too).
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)

# Lock-out after failed sign-ins (django-axes), by account name and by address alike,
# on the inbox and admin sign-in and on API keys; released after the cool-down.
# Behind a reverse proxy, run daphne with --proxy-headers so the address is the client's.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("STAFF_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("STAFF_LOGIN_COOLOFF_SECONDS", default=15 * 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "staff.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Failed attempts are what the lock-out needs; successful sign-ins are in staff sessions.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Single sign-on with OpenID Connect (mozilla-django-oidc), on when a client id is set.
# The endpoints are those the provider's /.well-known/openid-configuration lists.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
# The claim that lists the person's groups, and which group gives which role:
# "support-agents=agent,support-leads=supervisor,dpo=privacy officer,it-admins=admin".
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_GROUP_ROLES = dict(
    item.split("=", 1) for item in env.list("OIDC_GROUP_ROLES", default=[]) if "=" in item
)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
LOGIN_REDIRECT_URL_FAILURE = "/inbox/login/?sso=failed"
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("staff.oidc.StaffOIDCBackend")

# Internationalisation: German and English ship; German is the default of a
# German shop, the browser's language wins where it is one of these.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="de")
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
# daphne serves /static/ itself (make run, tests); production puts a reverse proxy in front.
SERVE_STATIC = env.bool("SUPPORTDESK_SERVE_STATIC", default=DEBUG)

# Content Security Policy (Django's own middleware): everything is served by
# Supportdesk itself, nothing from a CDN, no inline script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Channels: in memory on one process; channels-redis when REDIS_URL is set
# (several daphne processes). The three options below avoid channels-redis
# traps (see DESIGN.md): idle sockets dropped after 5 s, 100 connections per
# process, group messages beyond `capacity` silently dropped.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=1000),
                    }
                ],
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=1500),
                "expiry": 60,
                # Pub/sub channels are not scoped to a Redis database number: installations
                # (or test runs) sharing one Redis keep apart by their prefix.
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
else:
    # One process: channels' in-memory layer, its expiry sweep once a second rather than
    # at every socket's start and every event (platform_core.channel_layers).
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "platform_core.channel_layers.SweptInMemoryChannelLayer"}
    }

# The cache holds counters (rate limits shared by every daphne process) and the
# active privacy-policy versions.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "platform_core.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"pool_class": "platform_core.cache.SharedConnectionPool"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Without CELERY_BROKER_URL the broker is kombu's filesystem
# transport: a local worker and beat need no server.
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / "celery")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")


def celery_transport_options(broker_url: str, data_dir: Path) -> dict:
    """kombu's filesystem transport needs its folders to exist; other brokers need nothing."""
    if not broker_url.startswith("filesystem://"):
        return {}
    for folder in ("queue", "control"):
        (data_dir / folder).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(data_dir / "queue"),
        "data_folder_out": str(data_dir / "queue"),
        "control_folder": str(data_dir / "control"),
        "store_processed": False,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = celery_transport_options(CELERY_BROKER_URL, CELERY_DATA_DIR)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
# Every task is bounded: a stuck task is killed rather than holding a worker forever.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat's schedule, whatever the broker; the scheduler makes the folder (supportdesk/celery.py).
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULER = "supportdesk.celery:Scheduler"
CELERY_BEAT_SCHEDULE = {
    # Deletes data past its retention period (privacy.RetentionPolicy, set in the
    # admin), in bounded batches; re-enqueues itself while a backlog remains.
    "retention-purge": {
        "task": "privacy.tasks.retention_purge_task",
        "schedule": 60 * 60,
    },
    # Retrains the bot per language from the knowledge base and what agents taught;
    # a language whose examples did not change trains nothing. Runs at night.
    "bot-retrain": {
        "task": "bot.tasks.bot_models_retrain_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Marks processing agreements due for review and emails the privacy officers
    # about those and about active channels without an agreement (Art. 28).
    "agreement-reviews": {
        "task": "privacy.tasks.agreement_reviews_check_task",
        "schedule": 24 * 60 * 60,
    },
    # Moves conversations resolved longer ago than CONVERSATION_CLOSE_AFTER_HOURS
    # to "closed", so retention (privacy) can later delete them; a resolved case
    # stays reopenable for that long.
    "close-resolved-conversations": {
        "task": "bot.tasks.conversations_close_resolved_task",
        "schedule": 15 * 60,
    },
    # Re-enqueues work a lost worker left unfinished (data requests, training runs,
    # webhook and messenger deliveries stuck beyond JOBS_STUCK_AFTER_SECONDS); its
    # heartbeat, and the purge's, raise the alarm when beat stops (supportdesk/sweeper.py).
    "jobs-sweep": {
        "task": "supportdesk.tasks.jobs_sweep_task",
        "schedule": 5 * 60,
    },
    # Ends staff sessions idle longer than STAFF_SESSION_IDLE_MINUTES, closing their
    # inbox sockets (a page left open makes no requests that would end it).
    "staff-sessions-idle": {
        "task": "staff.tasks.staff_sessions_expire_idle_task",
        "schedule": 60,
    },
    # Forgets help-centre searches without a good hit (redacted) after
    # HELPCENTRE_SEARCH_MISS_DAYS: they only serve to find the knowledge base's gaps.
    "help-search-misses-purge": {
        "task": "helpcentre.tasks.search_misses_purge_task",
        "schedule": 24 * 60 * 60,
    },
}
# Work still unfinished this long after it was queued (or due) lost its task: the sweeper
# queues it again. Longer than the task time limit, so running work is left alone.
JOBS_STUCK_AFTER_SECONDS = env.int("JOBS_STUCK_AFTER_SECONDS", default=15 * 60)
# Outbox events (event_pipeline/outbox.py) are dispatched right after their commit; one
# still there this long after (its process died) is dispatched by the next drain: when a
# worker starts, and by the sweep. Long enough never to race a live dispatch.
OUTBOX_DRAIN_AFTER_SECONDS = env.int("OUTBOX_DRAIN_AFTER_SECONDS", default=30)
# An event whose dispatch keeps failing is tried again after a back-off that doubles
# (from OUTBOX_RETRY_BACKOFF_SECONDS, at most an hour), at most OUTBOX_MAX_ATTEMPTS times;
# then it waits for an admin ("Dispatch again" in the admin) and /health/ reports it.
OUTBOX_RETRY_BACKOFF_SECONDS = env.int("OUTBOX_RETRY_BACKOFF_SECONDS", default=60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# daphne and Celery workers drain the outbox when they start; off only where a test
# harness owns the database (the test process imports the ASGI module).
OUTBOX_DRAIN_AT_START = env.bool("OUTBOX_DRAIN_AT_START", default=True)
# Items of each kind re-enqueued per sweep; a larger backlog is worked off sweep by sweep.
JOBS_SWEEP_BATCH_SIZE = env.int("JOBS_SWEEP_BATCH_SIZE", default=100)
# A periodic job that never ran is reported late only after twice its period plus this,
# counted from when it was first expected (a fresh installation).
JOB_HEARTBEAT_GRACE_SECONDS = env.int("JOB_HEARTBEAT_GRACE_SECONDS", default=15 * 60)

# daphne loads the active bot models as it starts (bot.chat.answerer_load_at_start), not
# while the first customer's set-up holds the database thread; off only where a test
# harness owns the database.
BOT_MODELS_LOAD_AT_START = env.bool("BOT_MODELS_LOAD_AT_START", default=True)
# A model activated while the process serves (a retraining) is loaded in a thread of its
# own while the model before it answers (bot.chat), not in a customer's database trip.
BOT_MODELS_LOAD_IN_BACKGROUND = env.bool("BOT_MODELS_LOAD_IN_BACKGROUND", default=True)

# daphne and Celery workers check at start that the database and Redis answer
# (supportdesk.checks); off only where a test harness owns the database.
STARTUP_SERVICE_CHECKS = env.bool("SUPPORTDESK_STARTUP_SERVICE_CHECKS", default=True)

# Product settings.
CONVERSATION_CLOSE_AFTER_HOURS = env.int("CONVERSATION_CLOSE_AFTER_HOURS", default=24)

# Django REST framework: authentication required by default (DRF lets anyone in).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A key first, so an unauthenticated API call gets 401 with WWW-Authenticate.
        # API keys are the one machine credential (scoped, stored hashed, expiring): DRF's
        # tokens (unscoped, stored in plain text) are not accepted, and their table is gone
        # (staff migration 0002).
        "platform_core.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "platform_core.api_auth.HasScope",
    ],
    "EXCEPTION_HANDLER": "platform_core.api_errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "platform_core.api_pagination.ApiPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "platform_core.api_auth.KeyOrUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supportdesk API",
    "DESCRIPTION": "Customer support desk with a self-learning chatbot.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logging: every record passes the personal-data filter before any handler
# writes it. Message text is never logged in the first place.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "privacy.logging.PersonalDataRedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "daphne": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
# Celery would otherwise replace the root handlers and bypass the filter above.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Chat and consent.
# Identity fields the chat asks for after consent (data minimisation):
# "" (none), "name", "email", "name,email" or "phone".
CHAT_IDENTITY_FIELDS = env.list("CHAT_IDENTITY_FIELDS", default=["name", "email"])
# Phone numbers typed without "+<country code>" are read in this region's numbering plan
# (ISO 3166 code; privacy.identity_fields checks every number with libphonenumber).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="DE")
# Where the operator allows it, a customer who declines may still ask the bot
# anonymously: nothing identifying is asked and no message text is stored.
CHAT_ANONYMOUS_MODE = env.bool("CHAT_ANONYMOUS_MODE", default=False)
# The assistant's name in the AI Act disclosure ("… with Lumi, an automated assistant …").
# Only the name can be changed: the statement that it is automated always stays.
CHAT_ASSISTANT_NAME = env.str("CHAT_ASSISTANT_NAME", default="")
CHAT_MESSAGE_MAX_LENGTH = env.int("CHAT_MESSAGE_MAX_LENGTH", default=4000)
CONSENT_STORE_IP_ADDRESS = env.bool("CONSENT_STORE_IP_ADDRESS", default=False)
# Confidence bands of the keyword-matching fallback answerer (bot/answering.py),
# used until a trained model with calibrated thresholds is active.
BOT_FALLBACK_ANSWER_THRESHOLD = env.float("BOT_FALLBACK_ANSWER_THRESHOLD", default=0.6)
BOT_FALLBACK_SUGGEST_THRESHOLD = env.float("BOT_FALLBACK_SUGGEST_THRESHOLD", default=0.3)
# The trained models: automatic answers must reach this precision on held-back
# examples (the answer threshold is calibrated to it), and a new model ships only if
# its held-back accuracy and answer precision are within this tolerance of the
# active model's.
BOT_ANSWER_PRECISION_TARGET = env.float("BOT_ANSWER_PRECISION_TARGET", default=0.95)
BOT_MODEL_TOLERANCE = env.float("BOT_MODEL_TOLERANCE", default=0.02)
# A question customers answered with a "Did you mean …?" choice becomes a candidate
# training example once this many choices (from people who allow learning) agree on it.
BOT_CHOICE_EXAMPLE_MIN_CHOICES = env.int("BOT_CHOICE_EXAMPLE_MIN_CHOICES", default=3)
# Per connection: frames per second, and the burst allowed above it.
CHAT_RATE_PER_SECOND = env.float("CHAT_RATE_PER_SECOND", default=5.0)
CHAT_RATE_BURST = env.int("CHAT_RATE_BURST", default=10)
# Customer messages waiting for the database are stored together, at most this many
# per transaction (bot.consumers.GroupCommit); 1 stores each on its own.
CHAT_GROUP_COMMIT_MAX = env.int("CHAT_GROUP_COMMIT_MAX", default=64)
# While both wait, customer messages get this many times the database thread's time of
# set-up steps (hello, consent, identification); bot.consumers.DatabaseQueue. 1: the
# open loop is bound by the set-up steps, and with 2 they waited longest
# (benchmarks/README.md, "a run per CHAT_MESSAGES_WEIGHT").
CHAT_MESSAGES_WEIGHT = env.float("CHAT_MESSAGES_WEIGHT", default=1.0)
if not CHAT_MESSAGES_WEIGHT > 0:
    raise ImproperlyConfigured(
        f"CHAT_MESSAGES_WEIGHT is {CHAT_MESSAGES_WEIGHT}: give a positive number"
        " (2 gives customer messages twice the set-up steps' time, 1 the same)."
    )
# A web-chat customer whose socket showed no sign for this long counts as gone
# (bot/customer_presence.py): the team's reply then also goes by mail if they left an
# address for it.
CHAT_CONNECTED_SECONDS = env.int("CHAT_CONNECTED_SECONDS", default=3600)
# Websites that embed the chat widget (scheme://host[:port]): they may frame /chat/.
CHAT_WIDGET_ORIGINS = env.list("CHAT_WIDGET_ORIGINS", default=[])
# The shop's address (scheme://host[/path]): relative links in bot answers
# ("/account/orders") point into it on the web and on messengers; without it they are
# shown as plain text (platform_core.answer_markup).
SHOP_BASE_URL = env.str("SHOP_BASE_URL", default="")

# Help centre and contact form: requests per client (by the keyed hash of its address).
HELPCENTRE_SUGGEST_RATE = env.int("HELPCENTRE_SUGGEST_RATE", default=60)  # per minute
HELPCENTRE_VOTE_RATE = env.int("HELPCENTRE_VOTE_RATE", default=30)  # per minute
HELPCENTRE_MISS_RATE = env.int("HELPCENTRE_MISS_RATE", default=10)  # kept per minute
HELPCENTRE_FORM_RATE = env.int("HELPCENTRE_FORM_RATE", default=5)  # per 10 minutes
# The bot's follow-up form (/chat/follow-up/<token>/), per client as the contact form.
FOLLOW_UP_FORM_RATE = env.int("FOLLOW_UP_FORM_RATE", default=5)  # per 10 minutes
# The consent page a mail links to (/chat/consent/<token>/): its changes, per client.
CONSENT_LINK_RATE = env.int("CONSENT_LINK_RATE", default=10)  # per 10 minutes
# Days a search without a good hit (redacted) is kept for the knowledge base's gaps.
HELPCENTRE_SEARCH_MISS_DAYS = env.int("HELPCENTRE_SEARCH_MISS_DAYS", default=90)
# When agents answer, in TIME_ZONE: "mon-fri 08:00-18:00, sat 09:00-14:00"; empty: always.
# Outside these hours an escalating customer is told when the team is back.
SUPPORT_OPENING_HOURS = env.str(
    "SUPPORT_OPENING_HOURS", default="mon-fri 08:00-18:00, sat 09:00-14:00"
)

# Email: to customers (verification links, export notices) and the privacy officer.
# Without EMAIL_URL, mails are written to files in var/mail (nothing leaves the machine).


def mailers_from_email_url(url: str) -> dict:
    """MAILERS for an EMAIL_URL such as smtp+tls://user:password@mail.example.com:587
    (django-environ parses it; the e-mail channel's tests use it for their SMTP sink)."""
    smtp = environ.Env.email_url_config(url)
    return {
        "default": {
            "BACKEND": smtp["EMAIL_BACKEND"],
            "OPTIONS": {
                "host": smtp.get("EMAIL_HOST", "localhost"),
                "port": smtp.get("EMAIL_PORT", 25),
                "username": smtp.get("EMAIL_HOST_USER", ""),
                "password": smtp.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": smtp.get("EMAIL_USE_TLS", False),
                "use_ssl": smtp.get("EMAIL_USE_SSL", False),
            },
        }
    }


if env.str("EMAIL_URL", default=""):
    MAILERS = mailers_from_email_url(env.str("EMAIL_URL"))
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {
                "file_path": env.str("MAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
            },
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support@localhost")
# The address customers reach Supportdesk at, for links in emails.
# Without SITE_URL (development), links follow the PORT the server was started on.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.str('PORT', default='8000')}")
# Data subject requests: how long a confirmation link and an export download stay valid.
DATA_REQUEST_VERIFICATION_HOURS = env.int("DATA_REQUEST_VERIFICATION_HOURS", default=24)
DATA_EXPORT_DOWNLOAD_DAYS = env.int("DATA_EXPORT_DOWNLOAD_DAYS", default=7)
# Mails written to var/mail (no EMAIL_URL: development) hold addresses and links:
# the retention run deletes them after this many hours.
MAIL_FILES_KEEP_HOURS = env.int("MAIL_FILES_KEEP_HOURS", default=24)
# The erasure ledger's copy outside the database (privacy/services/erasure.py): keep it
# on storage that a database restore does not roll back, as long as backups are kept.
ERASURE_LEDGER_PATH = env.str(
    "ERASURE_LEDGER_PATH", default=str(BASE_DIR / "var" / "erasure-ledger.jsonl")
)
# PostgreSQL: VACUUM FULL rewrites the tables after an erasure or purge, so the old
# table files (with the dead tuples' bytes) are given back; it locks each table while
# it runs. Plain VACUUM (the default) removes dead tuples without a lock.
PRIVACY_VACUUM_FULL = env.bool("PRIVACY_VACUUM_FULL", default=False)

# The agents' inbox.
# Give each escalation to the least-busy online member of its queue.
AGENTS_AUTO_ASSIGN = env.bool("AGENTS_AUTO_ASSIGN", default=False)
# What agents teach the bot takes effect without a supervisor's approval.
AGENTS_TEACHING_AUTO_APPROVE = env.bool("AGENTS_TEACHING_AUTO_APPROVE", default=False)
# The most active conversations one inbox list shows.
AGENTS_INBOX_LIMIT = env.int("AGENTS_INBOX_LIMIT", default=500)

# The operator, as the generated privacy notice names it (privacy/notice).
PRIVACY_CONTROLLER = env.str(
    "PRIVACY_CONTROLLER", default="Nordlicht Shop GmbH, Musterstraße 1, 20095 Hamburg"
)
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="datenschutz@example.org")
PRIVACY_DPO = env.str("PRIVACY_DPO", default="")
PRIVACY_SUPERVISORY_AUTHORITY = env.str(
    "PRIVACY_SUPERVISORY_AUTHORITY",
    default="Der Hamburgische Beauftragte für Datenschutz und Informationsfreiheit",
)

# The accessibility statement (/accessibility/, BFSG § 14 and Annex 3): who to contact
# about a barrier, and the authority a customer may turn to if the answer does not help.
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="barrierefreiheit@example.org"
)
ACCESSIBILITY_CONTACT_PHONE = env.str("ACCESSIBILITY_CONTACT_PHONE", default="")
ACCESSIBILITY_MARKET_SURVEILLANCE = env.str(
    "ACCESSIBILITY_MARKET_SURVEILLANCE",
    default="Marktüberwachungsstelle der Länder für die Barrierefreiheit von Produkten und "
    "Dienstleistungen (MLBF), Magdeburg",
)
# The date the statement was last reviewed (ISO date).
ACCESSIBILITY_STATEMENT_DATE = env.str("ACCESSIBILITY_STATEMENT_DATE", default="2026-12-06")

# Messenger channels ---------------------------------------------------------------------
# Telegram, WhatsApp Cloud API and Facebook Messenger (bot/channels/, README "Messenger
# channels"). Credentials live encrypted in the admin (Messenger channels), not here.
# The API base URLs are settings so tests point them at local fake servers.
CHANNELS_TELEGRAM_API_BASE = env.str(
    "CHANNELS_TELEGRAM_API_BASE", default="https://api.telegram.org"
)
# The Graph API, with its version: WhatsApp's /{phone-number-id}/messages and
# Messenger's /{page-id}/messages.
CHANNELS_WHATSAPP_API_BASE = env.str(
    "CHANNELS_WHATSAPP_API_BASE", default="https://graph.facebook.com/v25.0"
)
CHANNELS_MESSENGER_API_BASE = env.str(
    "CHANNELS_MESSENGER_API_BASE", default="https://graph.facebook.com/v25.0"
)
# Seconds one call to a platform may take before it counts as failed (and is retried).
CHANNELS_HTTP_TIMEOUT_SECONDS = env.float("CHANNELS_HTTP_TIMEOUT_SECONDS", default=10.0)
# Webhook bodies larger than this are refused (413) before they are parsed.
CHANNELS_WEBHOOK_MAX_BYTES = env.int("CHANNELS_WEBHOOK_MAX_BYTES", default=512 * 1024)
# Platform messages older than this are refused as replays; processed message ids are
# remembered this long (WhatsApp redelivers for up to 7 days).
CHANNELS_REPLAY_WINDOW_HOURS = env.int("CHANNELS_REPLAY_WINDOW_HOURS", default=7 * 24)
# Outgoing messages: attempts before giving up, and the exponential backoff between them
# (base * 2^(attempt-1), at most the maximum; a platform's Retry-After wins).
CHANNELS_DELIVERY_MAX_ATTEMPTS = env.int("CHANNELS_DELIVERY_MAX_ATTEMPTS", default=8)
CHANNELS_DELIVERY_BACKOFF_SECONDS = env.float("CHANNELS_DELIVERY_BACKOFF_SECONDS", default=2.0)
CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS = env.float(
    "CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS", default=15 * 60
)
# Messages per second Supportdesk sends per platform, shared by every worker (the cache):
# Telegram allows about 30/s per bot, WhatsApp 80/s per number; Messenger is kept lower.
CHANNELS_RATE_PER_SECOND = {
    "telegram": env.int("CHANNELS_TELEGRAM_RATE_PER_SECOND", default=30),
    "whatsapp": env.int("CHANNELS_WHATSAPP_RATE_PER_SECOND", default=80),
    "messenger": env.int("CHANNELS_MESSENGER_RATE_PER_SECOND", default=40),
}
# Who was asked for consent and never answered is forgotten after this many hours.
CHANNELS_CONSENT_PENDING_HOURS = env.int("CHANNELS_CONSENT_PENDING_HOURS", default=72)
CELERY_BEAT_SCHEDULE["channels-housekeeping"] = {
    # Forgets processed message ids past the replay window and messenger identities
    # left without a conversation (unanswered consent questions, purged conversations).
    "task": "bot.channels.tasks.channels_housekeeping_task",
    "schedule": 60 * 60,
}

# E-mail channel (email_channel/, README "E-mail"): a mailbox per queue, set up in the admin
# (IMAP credentials are stored encrypted there); replies go out through the default mailer
# (EMAIL_URL above). Mail fetched per mailbox and run, and the IMAP timeout.
# The demo's mailbox (`make run`, email_channel/demo.py): a Maildir folder, no server.
EMAIL_DEMO_MAILDIR = env.str("EMAIL_DEMO_MAILDIR", default=str(BASE_DIR / "var" / "maildir"))
EMAIL_FETCH_BATCH_SIZE = env.int("EMAIL_FETCH_BATCH_SIZE", default=500)
EMAIL_IMAP_TIMEOUT_SECONDS = env.float("EMAIL_IMAP_TIMEOUT_SECONDS", default=30.0)
# Replies: attempts before giving up, exponential backoff between them.
EMAIL_SEND_MAX_ATTEMPTS = env.int("EMAIL_SEND_MAX_ATTEMPTS", default=8)
EMAIL_SEND_BACKOFF_SECONDS = env.float("EMAIL_SEND_BACKOFF_SECONDS", default=30.0)
EMAIL_SEND_BACKOFF_MAX_SECONDS = env.float("EMAIL_SEND_BACKOFF_MAX_SECONDS", default=60 * 60)
# Automatic mails (auto-replies, bounces) are remembered this long, without content.
EMAIL_IGNORED_KEEP_DAYS = env.int("EMAIL_IGNORED_KEEP_DAYS", default=30)
# Attachments (any channel): size, count per message and the types accepted.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env.int("ATTACHMENT_MAX_COUNT", default=10)
ATTACHMENT_CONTENT_TYPES = env.list(
    "ATTACHMENT_CONTENT_TYPES",
    default=[
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    ],
)
CELERY_BEAT_SCHEDULE["email-fetch"] = {
    # Fetches each active mailbox's new mail (one task per mailbox, ids only).
    "task": "email_channel.tasks.mailboxes_fetch_task",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["email-housekeeping"] = {
    # Forgets recorded auto-replies past EMAIL_IGNORED_KEEP_DAYS, attachment files left
    # without a row, and follow-up addresses nothing needs any more (README, E-mail).
    "task": "email_channel.tasks.mail_housekeeping_task",
    "schedule": 60 * 60,
}

# Outgoing webhooks (event_pipeline/webhooks.py): per call, attempts with exponential
# backoff (base * 2^(n-1), at most the maximum), and a subscription is switched off
# after this many failed deliveries in a row.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=5.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
