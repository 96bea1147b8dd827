"""Settings of the partnership tracker, read from the environment.

Every value a deployment may change comes from an environment variable read
through the small typed helpers below; a malformed value stops start-up with a
message naming the variable. Development defaults are safe only with DEBUG on.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false, 1/0), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("TESTING")
DEBUG = env_bool("DEBUG", default=False)

# Commands that only read or write source files sign nothing: they run without a secret.
OFFLINE_COMMANDS = {"makemigrations", "makemessages", "compilemessages"}
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "django-insecure-development-key-never-use-in-production"
    elif len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        SECRET_KEY = secrets.token_urlsafe(50)
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "django_filters",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "axes",
    "partnership",
    "conventions",
    "experimentations",
    # After partnership, whose db_worker command takes the place of its own.
    "django_tasks_db",
    # The demonstration and scale data, with their commands (load_demo, generate_scale_data).
    "partnership.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware follows the browser: the language is the person's account's
    # (partnership/directory/language.py).
    "partnership.directory.language.PersonLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "partnership.core.security.SessionActivityMiddleware",
    # After a single sign-on, the session ends when the ID token's session does (GET pages).
    "partnership.directory.sso.SSOSessionRefresh",
    # What a logged-in person is shown is kept by no browser, proxy or shared cache.
    "partnership.core.security.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "partnership.core.security.RefusedAccessLogMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its own answer.
    "axes.middleware.AxesMiddleware",
]

# Why a change was made is stored as a code and its parameters (partnership.core.reasons),
# a person's own words with it: longer than simple-history's 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "partnership.urls"
WSGI_APPLICATION = "partnership.wsgi.application"

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
                "partnership.directory.sso.context",
                "partnership.discussion.context.bell",
            ],
            # Each tag library lives in the layer it belongs to (README, "Architecture").
            "libraries": {
                "partnership_tags": "partnership.core.templatetags.partnership_tags",
                "partnership_markup": "partnership.core.templatetags.partnership_markup",
                "documents": "partnership.documents.templatetags",
                "discussion": "partnership.discussion.templatetags",
                "history": "partnership.overview.templatetags",
                "programming": "partnership.programming.templatetags",
            },
        },
    },
    # After the template language: only the form template pack (CRISPY_TEMPLATE_PACK) is
    # written for it, in partnership/jinja2/. Autoescaping is on (the backend's default).
    {"BACKEND": "partnership.core.template_engines.Jinja2", "APP_DIRS": True},
]

# Database: SQLite file in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Model choice fields read their options with QuerySet.iterator(): with server-side cursors
# that is three round trips per select (DECLARE, FETCH, CLOSE) for lists of a few dozen rows;
# also required behind a transaction-pooling PgBouncer.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 sends the parameters apart from the query (server-side binding), so that the
    # same query for another person or another day is the same statement; a connection
    # prepares a statement it has run DATABASE_PREPARE_THRESHOLD times (0: at once), and
    # PostgreSQL then stops planning it again: planning was half of its time on a page.
    # Behind PgBouncer in transaction mode, it needs max_prepared_statements (1.21 and later);
    # "off" prepares nothing (psycopg's None), for a pooler that cannot keep them.
    prepare_off = env_str("DATABASE_PREPARE_THRESHOLD").strip().lower() == "off"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": None if prepare_off else env_int("DATABASE_PREPARE_THRESHOLD", 5),
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

# The cache, shared by every worker of every application server: Redis through Django's own
# backend when REDIS_URL is set (production, e.g. redis://127.0.0.1:6379/0), else each
# process's memory (development, the demo: no Redis needed). Nothing in it is a copy that could
# disagree with the database: a key names the version of what it holds (README, "Shared cache").
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}."
    )
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several deployments (or test runs) on one Redis keep apart by prefix.
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "partenariat"),
            "TIMEOUT": env_int("CACHE_TIMEOUT", 24 * 3600),
            # Redis down or restarted: an operation on the cache waits at most a second. No
            # page depends on it (sessions are in the database, pages are drawn for every
            # request); what is kept there is read through partnership.core.remembered,
            # which computes it again when Redis does not answer.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: French first, English available.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates with the day first and the 24-hour clock (partnership/formats/en/formats.py).
FORMAT_MODULE_PATH = ["partnership.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Static files, served by whitenoise; media through Django's storage API.
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env_str("MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
DOCUMENT_MAX_SIZE = env_int("DOCUMENT_MAX_SIZE", 20 * 1024 * 1024)

# Fields a post may carry (Django's default, 1,000, refused a meeting's decisions page past
# about 120 follow-up tasks). An edit page posts its form and up to 10 fields per row of
# its lists (the row's id, version and parent, its fields, "delete"), and each list takes
# at most its realistic maximum of rows (partnership/forms/common.py's inline_formset).
# The largest page, a meeting with 300 participants x 8 fields and 500 agenda items x 10,
# posts 7,418 fields; the decisions page, 300 decisions x 6 and 500 tasks x 10, 6,810.
# 10,000 leaves room for the multiple selects and still bounds what one request costs.
# Beyond it, the French 400 page (templates/400.html) says that nothing was saved.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Background tasks (Django's tasks framework): the notifications' e-mails
# (partnership.discussion.delivery). "database" keeps them in the database until a worker
# (`manage.py db_worker`, django-tasks-db) has run them: nothing is lost when the worker or the
# mail server stops. "immediate" runs each task in the process that enqueued it, on the commit:
# the default of `make run` (DEBUG on its embedded SQLite), which then needs no second process.
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate" if DEBUG and not TESTING else "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be 'database' or 'immediate', got {TASKS_BACKEND!r}."
    )
# A notification's e-mail the mail server refused is tried again after these delays (seconds),
# one after the other; after the last, the failed task stays in the back office's list and the
# notification goes in the person's next daily digest.
try:
    NOTIFICATION_RETRY_DELAYS = [
        int(delay)
        for delay in env_list("NOTIFICATION_RETRY_DELAYS", ["60", "300", "1800", "7200", "21600"])
    ]
except ValueError:
    raise ImproperlyConfigured(
        "NOTIFICATION_RETRY_DELAYS must be whole numbers of seconds separated by commas."
    ) from None

# E-mail, through Django 6.1's MAILERS. EMAIL_BACKEND=console prints mails (development).
EMAIL_BACKEND_NAME = env_str("EMAIL_BACKEND", "console" if DEBUG else "smtp")
if EMAIL_BACKEND_NAME == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif EMAIL_BACKEND_NAME == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND must be 'smtp' or 'console', got {EMAIL_BACKEND_NAME!r}."
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "suivi-partenariat@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the accessibility statement sends a person who cannot reach a content (RGAA: "retour
# d'information et contact"); empty, the statement points to their organisation's coordinator.
ACCESSIBILITY_CONTACT_EMAIL = env_str("ACCESSIBILITY_CONTACT_EMAIL", "")
# The address people reach the site at, for the links in e-mails sent without a request
# (the reminders), e.g. https://partenariat.example.fr. Empty: e-mails carry no links.
SITE_URL = env_str("SITE_URL").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SITE_URL must start with https:// or http://, got {SITE_URL!r}.")

# Security. Behind TRUSTED_PROXY_COUNT proxies (below), the one in front of gunicorn
# terminating TLS and setting X-Forwarded-Proto; with none, the header is a client's own
# words and is not read.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# A session ends after this many seconds without activity (partnership.core.security keeps an
# active person's session alive), and optionally when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 2 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading commits the whole domain to HTTPS in browsers for months and is hard to undo: the
# agencies' DNS owners opt in with SECURE_HSTS_PRELOAD=true; until then its warning is expected.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "partnership.core.errors.csrf_failure"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Form widgets drawn with Django's own Jinja2 widget templates (the same HTML): an edit page
# draws hundreds of <option>s, three to four times faster than with the template language.
FORM_RENDERER = "partnership.core.forms.FormRenderer"
# Forms laid out by crispy-forms' filters ({{ form|crispy }}, {{ field|as_crispy_field }}) with
# the project's own template pack: Bootstrap 5's markup, written in Jinja2
# (partnership/jinja2/bootstrap5_partenariat/, found through the Jinja2 engine of TEMPLATES):
# the template language drawing crispy-bootstrap5's pack was a third of an edit page's time.
CRISPY_ALLOWED_TEMPLATE_PACKS = ("bootstrap5_partenariat",)
CRISPY_TEMPLATE_PACK = "bootstrap5_partenariat"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "partnership.core.security.LoginLockoutBackend",  # django-axes: refuses a locked-out login
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login lock-out (django-axes): a username is locked from one address after
# LOGIN_FAILURE_LIMIT failed logins in a row, for LOGIN_COOLOFF_MINUTES after the last one;
# an administrator unlocks it sooner (admin "Access attempts", or `manage.py axes_reset`).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "partnership.core.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "partnership.core.security.client_ip"
# Password reset requests: past so many for one e-mail address, or from one client, within
# the window, no e-mail is sent (the page says the same as when one is).
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10)
PASSWORD_RESET_WINDOW_MINUTES = env_int("PASSWORD_RESET_WINDOW_MINUTES", 60)
# Proxies in front of the application that append the client's address to X-Forwarded-For
# (1: the TLS-terminating proxy). 0: use the connection's address (no proxy). gunicorn.conf.py
# reads the same variable: with 0 it trusts no forwarded header from anyone, else only from
# FORWARDED_ALLOW_IPS (the proxy next to it, 127.0.0.1 by default, where gunicorn listens).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0 if DEBUG or TESTING else 1)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None

# Single sign-on with OpenID Connect (ProConnect), through mozilla-django-oidc
# (partnership.directory.sso). Off unless a client id and the provider (its discovery URL, or
# its issuer and endpoints) are given: no button, and its addresses answer 404.
OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL")
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
# ProConnect's scopes; "siret" and "usual_name" are its own claims.
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email given_name usual_name siret")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"}:
    raise ImproperlyConfigured(
        f"OIDC_RP_SIGN_ALGO must be an asymmetric JWS algorithm (RS256, ES256...), "
        f"got {OIDC_RP_SIGN_ALGO!r}."
    )
OIDC_ACR_VALUES = env_str("OIDC_ACR_VALUES")  # e.g. eidas1 for ProConnect
OIDC_CLOCK_SKEW_SECONDS = env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID
    and (
        OIDC_DISCOVERY_URL
        or (OIDC_OP_ISSUER and OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT)
    )
)
for _name in ("OIDC_DISCOVERY_URL", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_LOGOUT_ENDPOINT"):
    _value = globals()[_name]
    if _value and not _value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ImproperlyConfigured(f"{_name} must be an https:// address, got {_value!r}.")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
# After a form posted to this site, the browser follows the redirect to the provider (logout,
# linking an identity) only if the policy allows the provider's address.
if OIDC_ENABLED:
    from urllib.parse import urlsplit

    _provider = urlsplit(OIDC_DISCOVERY_URL or OIDC_OP_AUTHORIZATION_ENDPOINT)
    _origins = {f"{_provider.scheme}://{_provider.netloc}"}
    for _endpoint in (OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_LOGOUT_ENDPOINT):
        if _endpoint:
            _parts = urlsplit(_endpoint)
            _origins.add(f"{_parts.scheme}://{_parts.netloc}")
    _origins |= set(env_list("OIDC_FORM_ACTION_ORIGINS"))
    SECURE_CSP["form-action"] = [CSP.SELF, *sorted(_origins)]

# Logs go to the standard error stream, one line each. "partnership.security" records logins,
# failed logins, lock-outs, logouts, refused accesses and downloads, always at INFO or above.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # partnership.core.logs: the calendar feed's key is masked in every line; a refused page
    # (403, 404) is the security log's one line, Django's record of it (with its traceback
    # for PermissionDenied and Http404) dropped.
    "filters": {
        "secrets": {"()": "partnership.core.logs.SecretsFilter"},
        "refusals": {"()": "partnership.core.logs.RefusalsFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["secrets"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["refusals"]},
        # The development server's request lines, through the same handler (masked).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "partnership.security": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # its lock-outs; the rest is in partnership.core.security
    },
}
