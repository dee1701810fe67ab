"""Settings shared by every environment, read from the environment (12-factor).

With nothing set the site runs on the embedded default: SQLite in ``var/`` and a
Celery broker on kombu's filesystem transport. ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch it to PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("SERVICEDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_or(name: str, default: str) -> str:
    """The variable's value, or ``default`` when it is unset or empty (as in a compose file)."""
    return env.str(name, default="") or default


# Development-only key: production.py refuses to start with it.
DEFAULT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_or("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_fsm",
    "servicedesk.core",
    "servicedesk.portal",
    "incidents",
    "problems",
    "changes",
    "service_requests",
    "notifications",
    "reports",
    "knowledge",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicedesk.core.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
SQLITE_URL = f"sqlite:///{VAR_DIR / 'servicedesk.sqlite3'}"
DATABASES = {"default": env.db_url_config(env_or("DATABASE_URL", SQLITE_URL))}


def tune_database(database: dict) -> dict:
    """Make SQLite behave under concurrent writers; pool PostgreSQL connections."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("OPTIONS", {}).update(
            {
                # Writers queue for the lock instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    elif database["ENGINE"] == "django.db.backends.postgresql":
        database["CONN_HEALTH_CHECKS"] = True
        database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    return database


tune_database(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and uploaded files --------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: attachments go through an access check
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Attachments: a hard size limit and an allow-list of content types.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "text/plain",
        "text/csv",
        "application/pdf",
        "application/json",
        "application/zip",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email ------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 ; console by default.
vars().update(env.email_url_config(env_or("EMAIL_URL", "consolemail://")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Service Desk <servicedesk@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Notifications, email-to-ticket and webhooks ------------------------------------
# The site's address as people reach it: links in emails point there.
SERVICEDESK_BASE_URL = env_or("SERVICEDESK_BASE_URL", "http://127.0.0.1:8000")
# Where replies to notifications go (the inbound mailbox's address); none by default.
NOTIFICATIONS_REPLY_TO = env.str("NOTIFICATIONS_REPLY_TO", default="")
# The domain of our Message-IDs (default: DEFAULT_FROM_EMAIL's domain).
NOTIFICATIONS_MESSAGE_ID_DOMAIN = env.str("NOTIFICATIONS_MESSAGE_ID_DOMAIN", default="")
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BACKOFF_SECONDS = env.int("NOTIFICATIONS_RETRY_BACKOFF_SECONDS", default=60)
# The mailbox read into tickets: maildir:///path or imaps://user:password@host/INBOX; off if empty.
INBOUND_MAIL_URL = env.str("INBOUND_MAIL_URL", default="")
INBOUND_MAIL_POLL_SECONDS = env.int("INBOUND_MAIL_POLL_SECONDS", default=60)
# Username that mail from unknown senders is filed for; empty refuses unknown senders.
INBOUND_MAIL_DEFAULT_REQUESTER = env.str("INBOUND_MAIL_DEFAULT_REQUESTER", default="")
INBOUND_MAIL_MAX_BYTES = env.int("INBOUND_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# More of our own addresses (besides DEFAULT_FROM_EMAIL, SERVER_EMAIL and the Reply-To).
INBOUND_MAIL_OWN_ADDRESSES = env.list("INBOUND_MAIL_OWN_ADDRESSES", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BACKOFF_SECONDS = env.int("WEBHOOK_RETRY_BACKOFF_SECONDS", default=30)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)

# --- Celery -----------------------------------------------------------------------
CELERY_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env_or("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and consumer share one folder: beat, worker and web all use this config.
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_DIR / "control"),
        "polling_interval": 0.5,  # seconds between looks at the queue folder
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DIR / "celerybeat-schedule")
# How often the SLA sweep looks for warnings, breaches and escalations that fell due.
SLA_SWEEP_INTERVAL_SECONDS = env.float("SLA_SWEEP_INTERVAL_SECONDS", default=60.0)
# Periodic tasks live here, in one place.
CELERY_BEAT_SCHEDULE: dict = {
    "sla-sweep": {
        "task": "servicedesk.core.tasks.sla_sweep",
        "schedule": SLA_SWEEP_INTERVAL_SECONDS,
        # A sweep that waited longer than the interval is stale: the next one does its work.
        "options": {"expires": SLA_SWEEP_INTERVAL_SECONDS},
    },
    "clear-expired-sessions": {
        "task": "servicedesk.core.tasks.clear_expired_sessions",
        "schedule": 6 * 60 * 60,
    },
    "purge-idempotency-records": {
        "task": "servicedesk.core.tasks.purge_idempotency_records",
        "schedule": 60 * 60,
    },
    "close-expired-incident-resolutions": {
        "task": "incidents.tasks.close_expired_resolutions",
        "schedule": 15 * 60,
    },
    # Outbox events and deliveries the broker did not get at commit time, and due retries.
    "notifications-redispatch-pending": {
        "task": "notifications.tasks.redispatch_pending",
        "schedule": 60,
        "options": {"expires": 60},
    },
    "notifications-fetch-inbound-mail": {
        "task": "notifications.tasks.fetch_inbound_mail",
        "schedule": INBOUND_MAIL_POLL_SECONDS,
        "options": {"expires": INBOUND_MAIL_POLL_SECONDS},
    },
}

# --- Cache ------------------------------------------------------------------------
CACHES = {"default": env.cache_url_config(env_or("CACHE_URL", "locmemcache://"))}

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["servicedesk.core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "servicedesk.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="2000/minute"),
        "token-obtain": env.str("API_THROTTLE_TOKEN_OBTAIN", default="20/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service Desk API",
    "DESCRIPTION": "Incidents, problems, changes and service requests on one ticket core.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI's files come from drf-spectacular-sidecar: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per set of choices, wherever a field of that kind appears.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "servicedesk.core.roles.Role",
        "TeamKindEnum": "servicedesk.core.choices.TeamKind",
        "CriticalityEnum": "servicedesk.core.choices.Criticality",
        "CITypeEnum": "servicedesk.core.choices.CIType",
        "CIStatusEnum": "servicedesk.core.choices.CIStatus",
        "CIRelationshipKindEnum": "servicedesk.core.choices.CIRelationshipKind",
        # Impact and urgency share one scale: 1 high, 2 medium, 3 low.
        "LevelEnum": "servicedesk.core.choices.Impact",
        "OnHoldReasonEnum": "incidents.choices.OnHoldReason",
    },
}

# --- Security defaults that hold everywhere --------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Service desk ----------------------------------------------------------------
SERVICEDESK_SITE_NAME = env.str("SERVICEDESK_SITE_NAME", default="Service Desk")
# A resolved incident can be reopened by its requester for this long; then it closes by itself.
INCIDENT_REOPEN_WINDOW_HOURS = env.int("INCIDENT_REOPEN_WINDOW_HOURS", default=5 * 24)
# Suggest opening a problem when this many recent incidents share a service, CI or category.
PROBLEM_SUGGESTION_MIN_INCIDENTS = env.int("PROBLEM_SUGGESTION_MIN_INCIDENTS", default=3)
PROBLEM_SUGGESTION_DAYS = env.int("PROBLEM_SUGGESTION_DAYS", default=7)
# Change enablement (see changes/cab.py): the approvals that authorise a change, either a number
# of board members ("3", capped at the board's size) or a fraction of the board, rounded up
# ("0.5", "2/3"; "1.0" is everyone). The emergency CAB has its own, expedited rule.
CHANGE_CAB_QUORUM = env.str("CHANGE_CAB_QUORUM", default="0.5")
CHANGE_EMERGENCY_CAB_QUORUM = env.str("CHANGE_EMERGENCY_CAB_QUORUM", default="1")
# Change enablement: one schema name per choice set of changes and their CAB votes.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ChangeRiskEnum": "changes.choices.RiskLevel",
        "ChangeOutcomeEnum": "changes.choices.ChangeOutcome",
        "CABVoteDecisionEnum": "changes.choices.VoteDecision",
        "CABDecisionEnum": "changes.choices.CABDecision",
    }
)
# Sign-in: this many failures within the window lock the username (or the address) until
# the oldest failure leaves the window.
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# Service requests: one schema name per choice set of the catalog, approvals and tasks.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ApproverKindEnum": "service_requests.choices.ApproverKind",
        "ApprovalStatusEnum": "service_requests.choices.ApprovalStatus",
        "FulfilmentTaskStatusEnum": "service_requests.choices.TaskStatus",
        "FormFieldTypeEnum": "service_requests.choices.FieldType",
    }
)
# An Idempotency-Key's first answer is replayed to retries for this long.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
