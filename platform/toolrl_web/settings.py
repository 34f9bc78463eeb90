"""The one settings module. Every value comes from the environment; README lists them all."""

from __future__ import annotations

from pathlib import Path

from toolrl_web.env import (
    SettingError,
    check_broker_url,
    envbool,
    envint,
    envlist,
    envpath,
    envstr,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parents[2]

# Where the platform keeps files: the SQLite default database, the embedded broker, uploads and
# training artifacts. Production points UPLOADS and ARTIFACTS at storage shared by all nodes.
VAR_DIR = envpath("TOOLRL_VAR_DIR", BASE_DIR / "var")
UPLOADS_DIR = envpath("TOOLRL_UPLOADS_DIR", VAR_DIR / "uploads")
ARTIFACTS_DIR = envpath("TOOLRL_ARTIFACTS_DIR", VAR_DIR / "artifacts")
# The only folder a launch may take a local model from: the launch form names a model folder in
# it by name (never a path), or a Hugging Face id, or the tiny model.
MODELS_DIR = envpath("TOOLRL_MODELS_DIR", VAR_DIR / "models")
# The SQLite default and the embedded broker need the folder; a read-only image may lack rights.
for _folder in (VAR_DIR, VAR_DIR / "static"):
    try:
        _folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass

DEBUG = envbool("DEBUG", True)
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise SettingError(
            "SECRET_KEY is not set: production (DEBUG=0) needs a long random SECRET_KEY"
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'toolrl.sqlite3'}")
DATABASES = {"default": parse_database_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja: its API docs page is served from its own static files, not a CDN.
    "ninja",
    "toolrl_web.accounts",
    "toolrl_web.projects",
    "toolrl_web.status",
    "toolrl_web.runs",
    "toolrl_web.datasets",
    "toolrl_web.rewards",
    "toolrl_web.rollouts",
    "toolrl_web.evaluations",
    "toolrl_web.compare",
    "toolrl_web.lab",
    "toolrl_web.api",
    "toolrl_web",  # management commands (demo_setup, preflight)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "toolrl_web.urls"
WSGI_APPLICATION = "toolrl_web.wsgi.application"

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
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # The charting library's JavaScript, served from its installed package.
    "toolrl_web.staticfinders.PackageFileFinder",
]
WHITENOISE_USE_FINDERS = DEBUG  # serve straight from the apps' folders without collectstatic
MEDIA_ROOT = UPLOADS_DIR
MEDIA_URL = "uploads/"
# Form fields (not files) above this size are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
# Uploaded files stream to disk under UPLOADS_DIR while they are hashed, whatever their size;
# one above UPLOAD_MAX_BYTES is refused as it arrives, with a message saying so.
FILE_UPLOAD_HANDLERS = ["toolrl_web.datasets.uploads.StagingUploadHandler"]
UPLOAD_MAX_BYTES = envint("TOOLRL_UPLOAD_MAX_BYTES", 2 * 1024**3)
# The model whose tokenizer measures a new dataset's prompt lengths ("none": do not measure).
DATASET_TOKENIZER = envstr("TOOLRL_DATASET_TOKENIZER", "tiny")
DATASET_TOKENIZER = "" if DATASET_TOKENIZER.lower() == "none" else DATASET_TOKENIZER
# Evaluation jobs: the benchmark data folder (empty: ../shared/data beside the checkout, if any)
# and the base models an evaluation may choose besides a run's checkpoints and its own base model.
EVAL_DATA_DIR = envstr("TOOLRL_EVAL_DATA", "")
EVAL_BASE_MODELS = envlist("TOOLRL_EVAL_BASE_MODELS", ["tiny:fast"])

# --- Celery --------------------------------------------------------------------------------
# Default: kombu's SQLAlchemy transport on a SQLite file, so a laptop needs no broker.
# `make demo` starts a loopback redis-server when the binary exists and points this at it.
CELERY_BROKER_URL = check_broker_url(
    envstr("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite'}")
)
# The database row is the truth about a job; results are kept only for short probes.
CELERY_RESULT_BACKEND = envstr(
    "CELERY_RESULT_BACKEND",
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith("redis")
    else f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite'}",
)
# A worker is shown live while its last heartbeat is younger than this many seconds.
WORKER_HEARTBEAT_SECONDS = envint("WORKER_HEARTBEAT_SECONDS", 10)
WORKER_STALE_SECONDS = envint("WORKER_STALE_SECONDS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Seconds a worker's warm shutdown waits for running jobs before a cold shutdown.
WORKER_SOFT_SHUTDOWN_SECONDS = envint("WORKER_SOFT_SHUTDOWN_SECONDS", 60)
# A running job's supervisor writes a heartbeat this often; the reaper fails runs silent longer
# than RUN_STALE_SECONDS (worker killed, node lost).
RUN_HEARTBEAT_SECONDS = envint("RUN_HEARTBEAT_SECONDS", 5)
RUN_STALE_SECONDS = envint("RUN_STALE_SECONDS", 45)
# After a cancel, how long the training gets to checkpoint before SIGTERM, then SIGKILL.
RUN_STOP_GRACE_SECONDS = envint("RUN_STOP_GRACE_SECONDS", 120)
RUN_KILL_GRACE_SECONDS = envint("RUN_KILL_GRACE_SECONDS", 30)
