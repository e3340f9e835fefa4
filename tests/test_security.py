"""Security settings: headers on every public page, a production configuration that passes
`check --deploy`, plain http for local work, and a bad Host header answered with 400."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PUBLIC_PATHS = ["/", "/rulings/", "/lawsuits/", "/policies/", "/courts/", "/no-such-page/"]


def parse_csp(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


def settings_in(env: dict[str, str], *names: str) -> dict[str, str]:
    """The named settings as a fresh process sees them with `env` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print({name!r}, repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "tracker.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


PRODUCTION = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_carry_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code in {200, 404}
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_public_template_has_inline_script_or_style(client):
    for path in PUBLIC_PATHS:
        html = client.get(path).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html, path


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_https_mode_redirects_and_sends_hsts(client):
    response = client.get("/rulings/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/rulings/"

    response = client.get("/rulings/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_health_check_is_answered_over_plain_http(client):
    assert client.get("/healthz").status_code == 200


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_admin_cookies_are_secure_and_http_only(client):
    response = client.get("/admin/login/", secure=True)
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_HTTPONLY


def test_a_bad_host_header_is_a_400(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Bad request" in response.content


def test_production_settings_pass_the_deploy_checks():
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {**base, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_defaults_are_https_only():
    seen = settings_in(
        PRODUCTION,
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert seen == {
        "SECURE_SSL_REDIRECT": "True",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_PROXY_SSL_HEADER": "None",  # not trusted unless behind a proxy
    }


@pytest.mark.parametrize(
    "env",
    [
        {},  # make run, the tests: no secret key
        {**PRODUCTION, "DJANGO_HTTPS": "false"},  # CI: a key, but plain http
        {"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": "k" * 50},
    ],
    ids=["no-key", "https-off", "debug"],
)
def test_local_and_ci_settings_serve_plain_http(env):
    seen = settings_in(env, "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    assert seen == {
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
    }


def test_behind_a_proxy_the_forwarded_proto_is_trusted():
    seen = settings_in({**PRODUCTION, "DJANGO_BEHIND_PROXY": "true"}, "SECURE_PROXY_SSL_HEADER")
    assert seen == {"SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("DJANGO_HTTPS", "maybe"), ("DJANGO_HSTS_SECONDS", "a year"), ("DJANGO_SESSION_AGE", "8h")],
)
def test_a_malformed_security_variable_stops_start_up(name, value):
    result = start_up({"DJANGO_SETTINGS_MODULE": "tracker.settings", name: value})
    assert result.returncode != 0
    assert name in result.stderr


def start_up(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py check` in a fresh process with `env` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
