"""When the database is down the site answers 503 with Retry-After from a static page, never a
500 with a traceback, and /healthz says so; otherwise /healthz says "ok" and is never cached."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, override_settings

from tests.test_security import settings_in, start_up

pytestmark = pytest.mark.django_db

PAGES = ["/", "/rulings/", "/lawsuits/?format=csv", "/policies/", "/rulings/1/"]


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as it does when PostgreSQL is unreachable."""

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    monkeypatch.setattr(connection, "chunked_cursor", refuse)


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_healthz_says_ok_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_is_503_when_the_database_is_down(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_503_when_the_database_is_down(client, database_down, path):
    assert_unavailable(client.get(path))


def test_the_admin_is_503_for_a_logged_in_editor(admin_client, database_down):
    assert_unavailable(admin_client.get("/admin/"))


def test_an_admin_login_is_503_when_the_database_is_down(client, database_down):
    assert client.get("/admin/login/").status_code == 200  # needs no database
    response = client.post("/admin/login/", {"username": "alice", "password": "secret-words-1"})
    assert_unavailable(response)


@override_settings(DEBUG=True)
def test_no_traceback_even_in_debug(client, database_down):
    assert_unavailable(client.get("/rulings/"))


class RaiseInMiddleware:
    error: type[Exception] = InterfaceError

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error("connection already closed")


# Right inside the outage middleware: public pages are answered before the last middleware runs.
WITH_RAISING_MIDDLEWARE = [
    settings.MIDDLEWARE[0],
    "tests.test_faults.RaiseInMiddleware",
    *settings.MIDDLEWARE[1:],
]


@override_settings(MIDDLEWARE=WITH_RAISING_MIDDLEWARE)
def test_a_database_error_in_a_middleware_is_a_503_too():
    assert_unavailable(Client(raise_request_exception=False).get("/"))


@override_settings(MIDDLEWARE=WITH_RAISING_MIDDLEWARE)
def test_other_errors_are_still_500(monkeypatch):
    monkeypatch.setattr(RaiseInMiddleware, "error", ValueError)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_statement_timeout_is_set_on_postgresql():
    if connection.vendor != "postgresql":
        assert "options" not in settings.DATABASES["default"].get("OPTIONS", {})
        pytest.skip("statement_timeout is a PostgreSQL setting; checked absent on SQLite")
    expected = f"-c statement_timeout={settings.STATEMENT_TIMEOUT_MS}"
    assert expected in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] in {"15s", f"{settings.STATEMENT_TIMEOUT_MS}ms"}


def test_pages_query_postgresql_with_the_parallel_workers_configured():
    if connection.vendor != "postgresql":
        pytest.skip("parallel query is a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == str(settings.DB_PARALLEL_WORKERS)


POSTGRESQL = {"DATABASE_URL": "postgres://tracker@db.example:5432/tracker"}


def test_the_web_connection_has_no_parallel_workers_unless_configured():
    default = settings_in(POSTGRESQL, "DATABASES")["DATABASES"]
    configured = settings_in({**POSTGRESQL, "DJANGO_DB_PARALLEL_WORKERS": "3"}, "DATABASES")

    assert "-c max_parallel_workers_per_gather=0" in default
    assert "-c max_parallel_workers_per_gather=3" in configured["DATABASES"]


@pytest.mark.parametrize("value", ["-1", "two"])
def test_a_malformed_parallel_workers_setting_stops_start_up(value):
    result = start_up({**POSTGRESQL, "DJANGO_DB_PARALLEL_WORKERS": value})
    assert result.returncode != 0
    assert "DJANGO_DB_PARALLEL_WORKERS" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def gunicorn_without_database():
    """gunicorn serving the site with DATABASE_URL pointing where no PostgreSQL listens: a real
    OperationalError from psycopg2 on every query."""
    nowhere = free_port()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{nowhere}/tracker",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn exited: {server.stderr.read().decode()}")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_real_outage_under_gunicorn_is_503_not_500(gunicorn_without_database):
    status, headers, body = fetch(gunicorn_without_database + "/healthz")
    assert status == 503

    for path in ["/", "/rulings/", "/lawsuits/?format=csv"]:
        status, headers, body = fetch(gunicorn_without_database + path)
        assert status == 503, path
        assert headers["Retry-After"] == "30"
        assert b"Temporarily unavailable" in body and b"Traceback" not in body
