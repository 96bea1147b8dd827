"""The application as it runs in production: deployment checks, start-up guard, gunicorn.

Each test runs the real commands in a subprocess with a production-like environment (DEBUG off,
no TESTING), as the deployment scripts do.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

MANAGE = [sys.executable, str(settings.BASE_DIR / "manage.py")]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "partenariat.example.fr"
BOOT_TIMEOUT = 30


def base_env():
    """The environment of a fresh shell: none of the settings variables of the test run."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    return {name: os.environ[name] for name in keep if name in os.environ}


def production_env(**extra):
    env = base_env()
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
    )
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.update(extra)
    return env


def run_manage(*args, env):
    return subprocess.run(
        [*MANAGE, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checks_report_nothing():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize("debug", [None, "false"], ids=["DEBUG unset", "DEBUG=false"])
def test_start_up_without_secret_key_stops_with_a_clear_message(debug):
    env = base_env()
    if debug is not None:
        env["DEBUG"] = debug

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY is not set. Set the SECRET_KEY environment variable" in result.stderr


def test_offline_commands_run_without_a_secret_key():
    result = run_manage("makemigrations", "--check", "--dry-run", env=base_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def database_url(settings_dict):
    """The URL of the database the tests run on, for a server in another process."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(settings_dict["NAME"])
        if "memory" in name:
            pytest.fail("The SQLite test database must be a file (see tests/conftest.py).")
        return f"sqlite:///{name}"
    if engine == "django.db.backends.postgresql":
        credentials = quote(settings_dict["USER"] or "", safe="")
        if settings_dict["PASSWORD"]:
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
        host = settings_dict["HOST"] or "localhost"
        return f"postgres://{credentials}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    pytest.skip(f"No URL form for the {engine} database engine")


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    result = run_manage(
        "collectstatic", "--noinput", "--verbosity", "0", env=production_env(STATIC_ROOT=str(root))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


class Server:
    def __init__(self, port, log):
        self.port = port
        self.log = log

    def request(self, method, path, *, https=True, headers=None, body=None):
        headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if https:  # as the TLS-terminating proxy in front of gunicorn does
            headers["X-Forwarded-Proto"] = "https"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.body = response.read()
            response.text = response.body.decode("utf-8", errors="replace")
            return response
        finally:
            conn.close()


def wait_for_port(log_path, process):
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_path.read_text())
        if match:
            return int(match[1])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")


@contextlib.contextmanager
def running_gunicorn(env, log_path):
    """gunicorn with one worker on a free port of 127.0.0.1, in ``env``: its ``Server`` once
    it answers; stopped (and its log checked) afterwards."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "--workers", "1"]
            + ["partnership.wsgi"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        server = Server(wait_for_port(log_path, process), log_path)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:  # the worker boots after the master listens
            try:
                if server.request("GET", "/healthz", https=False).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"gunicorn does not answer:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield server

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=BOOT_TIMEOUT) == 0, log_path.read_text()
        log = log_path.read_text()
        assert "Shutting down: Master" in log
        assert "Traceback" not in log, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def server_env(static_root, **extra):
    """A production environment on the test database, with one worker of two threads."""
    return production_env(
        DATABASE_URL=database_url(connection.settings_dict),
        STATIC_ROOT=str(static_root),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        **extra,
    )


@pytest.fixture
def gunicorn_server(transactional_db, static_root, tmp_path):
    """gunicorn with one worker on a free port, sharing the test database through DATABASE_URL."""
    with running_gunicorn(server_env(static_root), tmp_path / "gunicorn.log") as server:
        yield server


def cookies_from(response):
    return dict(
        re.match(r"([^=]+)=([^;]*)", header).groups()
        for name, header in response.getheaders()
        if name.lower() == "set-cookie"
    )


def test_gunicorn_serves_the_application_behind_a_tls_proxy(gunicorn_server, alice, password):
    server = gunicorn_server
    # The tests hash passwords with a fast hasher that production does not accept.
    hasher = PBKDF2PasswordHasher()
    alice.password = hasher.encode(password, hasher.salt())
    alice.save(update_fields=["password"])

    # The load balancer's probe is answered over plain HTTP.
    health = server.request("GET", "/healthz", https=False)
    assert (health.status, health.text) == (200, "ok")

    # A browser that reached gunicorn without TLS is sent to HTTPS.
    plain = server.request("GET", "/comptes/login/", https=False)
    assert plain.status == 301
    assert plain.getheader("Location") == f"https://127.0.0.1:{server.port}/comptes/login/"

    login_page = server.request("GET", "/comptes/login/")
    assert login_page.status == 200
    assert '<html lang="fr">' in login_page.text
    assert "Nom d’utilisateur" in login_page.text
    assert "max-age=31536000" in login_page.getheader("Strict-Transport-Security")
    assert "script-src 'self'" in login_page.getheader("Content-Security-Policy")

    # Static files come from whitenoise, with content-hashed names cached for ever.
    stylesheet = re.search(
        r'href="(/static/vendor/bootstrap/css/bootstrap\.min\.\w+\.css)"', login_page.text
    )
    assert stylesheet, login_page.text
    css = server.request("GET", stylesheet[1], headers={"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.getheader("Content-Type").startswith("text/css")
    assert css.getheader("Content-Encoding") == "gzip"
    cache_control = css.getheader("Cache-Control")
    assert "max-age=315360000" in cache_control
    assert "immutable" in cache_control

    # Logging in reads the account and writes the session in the test database.
    cookies = cookies_from(login_page)
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)[1]
    origin = f"https://127.0.0.1:{server.port}"
    body = f"csrfmiddlewaretoken={csrf_token}&username=alice&password={quote(password)}&next=/"
    logged_in = server.request(
        "POST",
        "/comptes/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": origin,
        },
    )
    assert logged_in.status == 302, logged_in.text
    assert logged_in.getheader("Location") == "/"
    session = cookies_from(logged_in)["sessionid"]

    home = server.request("GET", "/", headers={"Cookie": f"sessionid={session}"})
    assert home.status == 200
    assert "Alice Martin" in home.text


# gunicorn: where it listens, whom it believes, what its access log keeps -------------------


def gunicorn_settings(**environment):
    """The values gunicorn.conf.py gives gunicorn in an environment."""
    code = (
        "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps("
        "{k: c[k] for k in ('bind', 'forwarded_allow_ips', 'logger_class')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base_env(), **environment},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_hides_the_preloaded_application_from_the_workers_garbage_collector():
    """Before forking a worker, the master freezes what it has loaded (gc.freeze): a worker's
    full collections then skip the application's ~150,000 long-lived objects."""
    code = (
        "import gc, runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "import django; django.setup(); import partnership.urls; "
        "assert gc.get_freeze_count() == 0; "
        "c['pre_fork'](None, None); print(gc.get_freeze_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**production_env(), "DJANGO_SETTINGS_MODULE": "partnership.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10_000


def test_gunicorn_listens_on_the_loopback_and_believes_only_the_proxy_next_to_it():
    production = gunicorn_settings()
    assert production["bind"] == "127.0.0.1:8000"
    assert production["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert production["logger_class"] == "partnership.core.logs.AccessLogger"
    # The proxy elsewhere: its address, given once, for both.
    assert gunicorn_settings(FORWARDED_ALLOW_IPS="10.0.0.5")["forwarded_allow_ips"] == "10.0.0.5"


@pytest.mark.parametrize("environment", [{"TRUSTED_PROXY_COUNT": "0"}, {"DEBUG": "true"}])
def test_without_a_proxy_nobody_is_believed_about_the_scheme(environment):
    assert gunicorn_settings(**environment)["forwarded_allow_ips"] == ""
    code = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"
    result = run_manage("shell", "-c", code, env=production_env(**environment))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"


def test_the_access_log_never_holds_a_calendar_key(gunicorn_server, alice):
    server = gunicorn_server
    key = "Cle-Secrete_" + "k" * 31

    for path in (f"/calendrier/{key}.ics", f"/%63alendrier/{key}.ics"):
        assert server.request("GET", path).status == 404  # no such key: the same for a revoked one

    log = server.log.read_text()
    assert "[clé masquée]" in log
    assert key not in log
    assert "Traceback" not in log
