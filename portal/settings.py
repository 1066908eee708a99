"""Settings for the portal: one file, every deployment difference comes from the environment.

The defaults run on a bare machine (SQLite, Celery's filesystem broker, local files
under ``var/``). Production sets DATABASE_URL, CELERY_BROKER_URL, STORAGE_BACKEND=s3
and friends; ``.env.example`` lists every variable.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by `make run`, never committed) is read if present; real
# environment variables always win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("PORTAL_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

# --- SECURITY ---------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. `make run` writes one into .env; "
            "in production set it in the environment."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Staff sessions: expire after a working day, and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Lock a username from one address after AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_TIME
# hours (each further attempt restarts the wait). Per username+address, so an attacker
# cannot lock a colleague out from elsewhere. Every failure and lockout is audited.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_TIME", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False  # no banner on every manage.py command
# A staff session also ends after this many idle minutes (releases.middleware), and at the
# latest SESSION_COOKIE_AGE after sign-in.
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)

# --- APPLICATIONS -----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # OpenAPI schema of the public API (/api/schema/, /api/docs/)
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files, no CDN
    "releases",
    "axes",  # sign-in lockouts (settings under SECURITY)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The page cache's outer half: answers cached public pages to visitors without a
    # session before the rest of the stack runs, and stores pages with their final headers.
    "releases.cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "releases.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "releases.middleware.StaffSessionMiddleware",
    # The inner half, after authentication (staff bypass it) and locale (one entry per
    # language): decides what may be cached, once the URL is resolved and the user known.
    "releases.cache.PublicPageCacheViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- DATABASE ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write concurrently: WAL plus IMMEDIATE
    # transactions and a busy timeout avoid "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a real Celery worker process can share the test DB;
    # one per test session, so two sessions never trample each other.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses locked-out sign-ins before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# --- LANGUAGE AND TIME ------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Public pages are in English at / and in Spanish at /es/ (docs/i18n.md); staff pages, the API
# and files are English only. Spanish numbers are written the US way (portal/formats/es).
FORMAT_MODULE_PATH = ["portal.formats"]
# The agency's clock: statutory deadlines and "today" are computed in this zone.
TIME_ZONE = env("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- STORAGES ---------------------------------------------------------------
# Two separate stores. "private" holds originals and work files and has no URL at
# all; "public" holds only what has been published. "default" is the private store,
# so a file saved without an explicit storage can never become public by accident.
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
PUBLIC_MEDIA_ROOT = Path(env("PUBLIC_MEDIA_ROOT", default=str(VAR_DIR / "public")))
PUBLIC_MEDIA_URL = env("PUBLIC_MEDIA_URL", default="/media/")
MEDIA_URL = PUBLIC_MEDIA_URL

if STORAGE_BACKEND == "local":
    _private = {
        "BACKEND": "releases.media.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    }
    _public = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PUBLIC_MEDIA_ROOT), "base_url": PUBLIC_MEDIA_URL},
    }
elif STORAGE_BACKEND == "s3":
    _s3_common = {
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env("AWS_S3_REGION_NAME", default=None),
        "file_overwrite": False,
    }
    _private = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "bucket_name": env("AWS_PRIVATE_BUCKET"),
            "location": env("AWS_PRIVATE_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }
    _public = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_common,
            "bucket_name": env("AWS_PUBLIC_BUCKET"),
            "location": env("AWS_PUBLIC_PREFIX", default=""),
            "querystring_auth": False,
            "custom_domain": env("AWS_PUBLIC_CUSTOM_DOMAIN", default=None),
        },
    }
    if _private["OPTIONS"]["bucket_name"] == _public["OPTIONS"]["bucket_name"] and (
        _private["OPTIONS"]["location"] == _public["OPTIONS"]["location"]
    ):
        raise ImproperlyConfigured("Private and public storage must not share a bucket and prefix.")
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}.")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": _private,
    "private": _private,
    "public": _public,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- UPLOADS ----------------------------------------------------------------
# Uploads stream to disk while their SHA-256 is computed chunk by chunk.
FILE_UPLOAD_HANDLERS = ["releases.media.uploads.HashingUploadHandler"]
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads")
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=4 * 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024**2
# Local working directories must exist before the first upload or job.
for _dir in (VAR_DIR / "uploads", Path(env("SCRATCH_DIR", default=str(VAR_DIR / "scratch")))):
    _dir.mkdir(parents=True, exist_ok=True)

# --- CELERY -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _dir in (_broker_dir / "queue", _broker_dir / "processed", _broker_dir / "control"):
        _dir.mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (OOM, SIGKILL) puts the message back instead of losing it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"releases.tasks.process_job": {"queue": "media"}}
# Celery beat (its own process: `beat` in the Procfile and `make run`; in
# production, as a single beat process): the sweeper finds jobs whose worker died and re-queues or fails them.
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {"task": "releases.tasks.sweep_jobs", "schedule": env.int("JOB_SWEEP_INTERVAL", default=60)},
    # Embargoed releases: published within a minute of their time, exactly once.
    "publish-due-releases": {
        "task": "releases.tasks.publish_due_releases",
        "schedule": env.int("PUBLISH_CHECK_INTERVAL", default=60),
    },
    # Signed checkpoints of the audit log's head, so a log cut short is detectable.
    "checkpoint-audit-log": {
        "task": "releases.tasks.checkpoint_audit",
        "schedule": env.int("AUDIT_CHECKPOINT_INTERVAL", default=3600),
    },
    # Access requests: recompute every clock and e-mail the records officers what is due
    # soon or overdue, once a day at ACCESS_DIGEST_HOUR (agency time).
    "access-request-digest": {
        "task": "releases.tasks.send_deadline_digest",
        "schedule": crontab(hour=env.int("ACCESS_DIGEST_HOUR", default=7), minute=0),
    },
    # E-mails whose send failed or whose task was lost are retried from the outbox.
    "retry-outbox": {"task": "releases.tasks.retry_outbox", "schedule": env.int("OUTBOX_RETRY_INTERVAL", default=120)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- E-MAIL -----------------------------------------------------------------
# Default: every message is written as a file under var/mail (nothing leaves the
# machine). Production: EMAIL_URL=smtp+tls://user:password@smtp.example.gov:587.
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ...
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Where the file backend writes (one file per message).
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Footage portal <records@localhost>")
# Where the records officers' daily digest goes when no officer has an e-mail address.
RECORDS_OFFICE_EMAIL = env("RECORDS_OFFICE_EMAIL", default="")
# Absolute links in e-mails (status pages, releases).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# An outbox e-mail is retried with growing waits and given up after this many attempts.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# --- ACCESS REQUESTS ---------------------------------------------------------
# Key that derives each request's private status token (default: SECRET_KEY; changing
# it invalidates every status link already sent).
ACCESS_TOKEN_KEY = env("ACCESS_TOKEN_KEY", default="") or SECRET_KEY
# Filing limits, counted from saved requests so they hold across processes and servers.
ACCESS_REQUEST_LIMIT_PER_IP_HOUR = env.int("ACCESS_REQUEST_LIMIT_PER_IP_HOUR", default=5)
ACCESS_REQUEST_LIMIT_PER_IP_DAY = env.int("ACCESS_REQUEST_LIMIT_PER_IP_DAY", default=20)
ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = env.int("ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY", default=5)
# The digest lists open requests due within this many working days.
ACCESS_DUE_SOON_WORKING_DAYS = env.int("ACCESS_DUE_SOON_WORKING_DAYS", default=5)
# Trust the last address of X-Forwarded-For (set only behind a proxy that writes it).
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

# --- CACHE ------------------------------------------------------------------
# Redis through portal/redis_cache.py: Django's backend with one client per pool.
CACHES = {
    "default": (
        {"BACKEND": "portal.redis_cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Rendered public pages (releases/cache.py). Keys carry the public generation, so a
    # per-process cache is as correct as a shared one, only less effective.
    "pages": (
        {"BACKEND": "portal.redis_cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pages"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}
    ),
}
PUBLIC_PAGE_CACHE = "pages"
# How long a rendered public page may be reused. Any public change makes it stale at once;
# this bounds only figures that change with time alone (overdue requests). 0 turns it off.
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=300)
# Pages each web process also keeps in its own memory, in front of the shared cache (same
# keys, so never stale); 0 turns that layer off.
PUBLIC_PAGE_CACHE_LOCAL_ENTRIES = env.int("PUBLIC_PAGE_CACHE_LOCAL_ENTRIES", default=256)
# After a public change, concurrent requests for the same stale page in one process wait
# this long for the first one's render instead of each rendering it (releases.cache._Flights).
PUBLIC_PAGE_CACHE_WAIT_SECONDS = env.float("PUBLIC_PAGE_CACHE_WAIT_SECONDS", default=5.0)

# --- MEDIA PIPELINE ---------------------------------------------------------
# Ed25519 key that signs release manifests and audit checkpoints (releases/signing.py).
# PEM text, or a PEM file; `make run` writes var/signing-key.pem for the demo. Never commit it.
MANIFEST_SIGNING_KEY = env("MANIFEST_SIGNING_KEY", default="")
# Default: the demo key `make run` generates; publication is refused while it is missing.
MANIFEST_SIGNING_KEY_FILE = env("MANIFEST_SIGNING_KEY_FILE", default=str(VAR_DIR / "signing-key.pem"))

FFMPEG_BINARY = env("FFMPEG_BINARY", default="")  # empty: imageio-ffmpeg's bundled binary
FFMPEG_THREADS = env.int("FFMPEG_THREADS", default=2)
FFMPEG_TIMEOUT = env.int("FFMPEG_TIMEOUT", default=4 * 60 * 60)
MEDIA_TASK_SOFT_TIME_LIMIT = env.int("MEDIA_TASK_SOFT_TIME_LIMIT", default=FFMPEG_TIMEOUT + 300)
SCRATCH_DIR = Path(env("SCRATCH_DIR", default=str(VAR_DIR / "scratch")))
# A running job whose heartbeat is older than this is presumed dead (its worker was
# killed); a queued job older than JOB_QUEUED_TIMEOUT was presumed lost by the broker.
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=300)
JOB_QUEUED_TIMEOUT = env.int("JOB_QUEUED_TIMEOUT", default=30 * 60)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# Redaction boxes grow by this share of their size on each side (plus 4 px), so a
# box drawn tight around a face still covers hair, ears and motion between keyframes.
REDACTION_MARGIN = env.float("REDACTION_MARGIN", default=0.10)
# Moving boxes are repositioned this often (seconds; at least once a frame). Each
# position covers the box's whole path until the next, so this trades speed (every
# reposition re-configures a drawbox) against boxes larger by the motion in between.
REDACTION_COMMAND_INTERVAL = env.float("REDACTION_COMMAND_INTERVAL", default=0.1)
PREVIEW_HEIGHT = env.int("PREVIEW_HEIGHT", default=360)

# --- DRF --------------------------------------------------------------------
# Reads of the public API per client address, e.g. "120/minute" (AnonRateThrottle).
API_ANON_RATE = env("API_ANON_RATE", default="120/minute")
# Staff by default; the public API's views (releases/api/public.py) set AllowAny and no
# authentication themselves.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Throttle rates, per client address, counted in the default cache (per process with
    # the development LocMemCache; shared with Redis). The durable filing limits are the
    # ACCESS_REQUEST_LIMIT_* ones above, counted from saved requests.
    "DEFAULT_THROTTLE_RATES": {
        "request-filing": env("API_FILING_RATE", default="10/hour"),
        # Every public read (AnonRateThrottle). "public" is the same rate, for views
        # throttled by scope (ScopedRateThrottle, throttle_scope = "public").
        "anon": API_ANON_RATE,
        "public": API_ANON_RATE,
    },
    # The client address for throttling: REMOTE_ADDR, or the last X-Forwarded-For hop behind
    # a trusted proxy (as releases.access.client_ip). Never a client-supplied header otherwise.
    "NUM_PROXIES": 1 if TRUST_X_FORWARDED_FOR else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Body Camera Transparency Portal API",
    "DESCRIPTION": (
        "Public, read-only API of the ICE Body Camera Transparency Portal: published releases (files with sizes, "
        "SHA-256 hashes and URLs, redaction logs, signed manifests), cities, the public audit log and the public "
        "request log; plus filing an access request and following it with its private token. No account or key; "
        "reads are throttled per address and carry ETag and Last-Modified. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    # Only /api/ paths outside /api/staff/: the staff API is not part of the published schema.
    "PREPROCESSING_HOOKS": ["releases.api.public.public_endpoints_only"],
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "releases.models.requests.AccessRequest.Status",
        "RequestStageEnum": "releases.models.requests.AccessRequest.Stage",
        "RequestDecisionEnum": "releases.api.serializers_public.DECISION_CHOICES",
        "ExpediteDecisionEnum": "releases.models.requests.AccessRequest.Decision",
        "RequestCategoryEnum": "releases.models.requests.AccessRequest.Category",
        "ReleaseCategoryEnum": "releases.models.releases.Category",
        "LanguageEnum": "releases.models.releases.SUMMARY_LANGUAGES",
        "RedactionKindEnum": "releases.models.redactions.Redaction.Kind",
        "AuditKindEnum": "releases.api.serializers_public.AUDIT_KINDS",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- LOGGING ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Access requests' status tokens are secrets in URLs: redacted from every line (portal/logs.py).
    "filters": {"redact_tokens": {"()": "portal.logs.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Every sign-in and failure is in the audit log; axes' own INFO lines would repeat them.
    "loggers": {"axes": {"level": "WARNING"}},
}
