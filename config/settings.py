"""Viva settings: one module, driven by environment variables (see README, Configuration)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import database_from_url, env, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VIVA_VAR_DIR", "") or BASE_DIR / "var")
# Local state (SQLite file, filesystem broker queue) lives here, gitignored.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", False)

SECRET_KEY = env.str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment "
            "(or set DEBUG=1 for local development)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "questionbank",
    "grading",
    "interviews",
    "hiring",
    "core.apps.CoreConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "core.context_processors.team_menu",
            ],
        },
    },
]

# Database: SQLite under var/ by default; PostgreSQL (pooled) from DATABASE_URL.
DATABASE_URL = env.str("DATABASE_URL", "") or f"sqlite:///{VAR_DIR / 'viva.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL, pool=env.bool("DATABASE_POOL", True))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's ModelBackend, with the logged-in user read from the shared cache when there
# is one (core/auth.py).
AUTHENTICATION_BACKENDS = ["core.auth.CachedUserBackend"]
USER_CACHE_SECONDS = env.int("USER_CACHE_SECONDS", 300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", "") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MAILERS = {
    "default": {
        # Console in development; SMTP (configured below) otherwise.
        "BACKEND": env.str("EMAIL_BACKEND", "")
        or (
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": env.str("EMAIL_HOST", ""),
                "port": env.int("EMAIL_PORT", 0) or None,
                "username": env.str("EMAIL_HOST_USER", ""),
                "password": env.str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env.bool("EMAIL_USE_TLS", False) or None,
            }.items()
            if value
        },
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Viva <viva@localhost>")
# Absolute links in emails (invitations, completion notices), e.g. https://viva.example.com
SITE_URL = env.str("SITE_URL", "").rstrip("/")

# Redis is optional: without it the Celery broker falls back to kombu's filesystem
# transport under var/, so `make run` needs no other server.
REDIS_URL = env.str("REDIS_URL", "")
# kombu's filesystem transport ignores the host; naming one spares a warning per connection.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
if not REDIS_URL:
    # kombu's filesystem transport, writing each message atomically (core/broker.py).
    CELERY_BROKER_TRANSPORT = "core.broker:Transport"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Socket timeouts: a Redis that hangs (rather than refuses) must not hold a submit.
    {"visibility_timeout": 600, "socket_timeout": 3, "socket_connect_timeout": 2}
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
        # The folder is polled; kombu's 1 s default caps the worker at a few tasks a second.
        "polling_interval": 0.1,
    }
)
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{VAR_DIR / 'celery-results'}"
if not REDIS_URL:
    for folder in ("broker/queue", "broker/processed", "broker/control", "celery-results"):
        (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep the worker's database connection between tasks: Celery's Django fixup otherwise
# closes it (and, in prefork children, Django's whole psycopg pool) around every task.
# config/celery.py hands it back after each task instead, as Django does per request.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Publishing must never hang a web request when the broker is down: fail fast,
# keep the answer, and let the sweep enqueue it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# LLM second opinions and webhook sends wait on someone else's server: their own queues,
# consumed by a thread-pool worker, so neither a burst of them nor a slow receiver ever
# delays keyword grading on the default queue.
CELERY_TASK_ROUTES = {
    "grading.tasks.llm_opinion": {"queue": "llm"},
    "hiring.tasks.deliver_webhook": {"queue": "webhooks"},
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULE = {
    "sweep-ungraded-answers": {"task": "grading.tasks.sweep_ungraded", "schedule": 60.0},
    "sweep-llm-opinions": {"task": "grading.tasks.sweep_llm_opinions", "schedule": 60.0},
    "sweep-webhook-deliveries": {
        "task": "hiring.tasks.sweep_webhook_deliveries",
        "schedule": 120.0,
    },
    "finalise-expired-sessions": {
        "task": "interviews.tasks.finalise_expired_sessions",
        "schedule": 30.0,
    },
}

# Rate-limit counters must be shared by every web process in production: point
# CACHE_URL at Redis there. Unset, each process counts on its own (fine for one).
CACHE_URL = env.str("CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            # A hung Redis costs each cache call at most half a second, and an unreachable one
            # reads as a cache miss: rate limits count locally, sessions and users come
            # from the database (core/throttle.py, core/sessions.py, core/auth.py).
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,
            },
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# With a shared cache, login sessions are read from it (see core/sessions.py). A
# per-process cache could not forget a logout made in another process, so without
# CACHE_URL sessions stay database-only.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
SESSION_ENGINE = "core.sessions" if CACHE_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", 300)

# Grading
GRADING_SWEEP_AFTER_SECONDS = env.int("GRADING_SWEEP_AFTER_SECONDS", 180)
OPENAI_API_KEY = env.str("OPENAI_API_KEY", "")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", "") or None
GRADING_LLM_MODEL = env.str("GRADING_LLM_MODEL", "")
GRADING_LLM_TIMEOUT = env.float("GRADING_LLM_TIMEOUT", 20.0)
GRADING_LLM_DAILY_BUDGET = env.int("GRADING_LLM_DAILY_BUDGET", 500)
GRADING_LLM_MAX_UPLIFT = env.float("GRADING_LLM_MAX_UPLIFT", 15.0)
GRADING_LLM_DISAGREEMENT = env.float("GRADING_LLM_DISAGREEMENT", 25.0)
# Which answers get a second opinion: all | uncertain | off (docs/grading.md). Off unless a
# model and a key are configured.
GRADING_LLM_MODE = env.str(
    "GRADING_LLM_MODE", "uncertain" if OPENAI_API_KEY and GRADING_LLM_MODEL else "off"
)
# Calls in flight per `llm` worker process (its thread pool size): the calls mostly wait.
GRADING_LLM_CONCURRENCY = env.int("GRADING_LLM_CONCURRENCY", 20)
GRADING_LLM_TEAM_DAILY_BUDGET = env.int("GRADING_LLM_TEAM_DAILY_BUDGET", 200)
# "uncertain" mode: an answer this long that the keyword grader scores low is worth a look.
GRADING_LLM_SUBSTANTIAL_WORDS = env.int("GRADING_LLM_SUBSTANTIAL_WORDS", 60)
GRADING_LLM_LOW_SCORE = env.float("GRADING_LLM_LOW_SCORE", 50.0)
# Attempts per call (429 / 5xx / timeout), with exponential backoff and jitter.
GRADING_LLM_ATTEMPTS = env.int("GRADING_LLM_ATTEMPTS", 4)
GRADING_LLM_BACKOFF_SECONDS = env.float("GRADING_LLM_BACKOFF_SECONDS", 1.0)
GRADING_LLM_BACKOFF_MAX_SECONDS = env.float("GRADING_LLM_BACKOFF_MAX_SECONDS", 30.0)
# After this many consecutive failed calls the breaker opens for the cool-down.
GRADING_LLM_BREAKER_FAILURES = env.int("GRADING_LLM_BREAKER_FAILURES", 5)
GRADING_LLM_BREAKER_COOLDOWN_SECONDS = env.float("GRADING_LLM_BREAKER_COOLDOWN_SECONDS", 60.0)
# A claimed opinion whose worker vanished is claimable again after this long.
GRADING_LLM_LEASE_SECONDS = env.int("GRADING_LLM_LEASE_SECONDS", 300)

# Interviews
ANSWER_MAX_CHARS = env.int("ANSWER_MAX_CHARS", 20_000)
DEADLINE_GRACE_SECONDS = env.int("DEADLINE_GRACE_SECONDS", 5)
INVITATION_DAYS = env.int("INVITATION_DAYS", 7)

# Webhooks (docs/operations.md, "Webhooks and the read API"). Private, loopback and
# link-local addresses are refused as endpoints unless this is on (on with DEBUG, for
# `make run`; tests turn it on for their local receiver).
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", 5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", 8)

# Security. Scripts and styles come only from our own static files: htmx is
# configured (meta tag) to inject no inline styles, and no template uses inline JS.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# How many reverse proxies (load balancer, TLS terminator) stand in front of the app.
# Only then are X-Forwarded-Proto (the request came over HTTPS) and X-Forwarded-For (the
# client's address, for rate limits and lockouts: core/client.py) trusted; without a
# proxy, any client could send them.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", 0)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    if TRUSTED_PROXY_HOPS:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_tokens": {"()": "core.logredact.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per LLM call or webhook attempt.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
