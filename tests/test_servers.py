"""Several app servers on one PostgreSQL database, and restores, as production runs them.

Real gunicorn processes (gunicorn.conf.py) on loopback ports serve a scratch copy of the test
database: sessions, login lockouts and the data version live in the database, so an edit
made through one server is in the other's next answer, and a restore never lets a worker serve
a page (or a 304) from before it.
"""

from __future__ import annotations

import html.parser
import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from tests.factories import GroundFactory, RulingFactory
from tests.test_backup import database_url, run

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several servers share one PostgreSQL database (CI runs this file on PostgreSQL)",
    ),
]

BASE = Path(settings.BASE_DIR)
PASSWORD = "a long and unusual passphrase 42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the site's gunicorn.conf.py (two workers) on a loopback port."""

    def __init__(self, url: str, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SECRET_KEY": "the same secret on every server of the site",
            "DJANGO_DEBUG": "false",
            "DJANGO_HTTPS": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
        }
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=BASE,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5).read()
                return
            except OSError:
                assert self.process.poll() is None, log.read_text()
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start: {log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Browser:
    """A client with its own cookies that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect
        )

    def request(self, url: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)


class FormFields(html.parser.HTMLParser):
    """The values a browser would submit from the form with the given id."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        kind = (attrs.get("type") or "text").lower()
        if tag == "input" and kind not in ("submit", "button", "file", "image", "reset"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value") or ""))
        elif tag == "textarea":
            self.textarea, self.text = attrs["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None


def form_values(page: str, form_id: str) -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(page)
    values: dict[str, list[str]] = {}
    for name, value in parser.fields:
        values.setdefault(name, []).append(value)
    return values


def log_in(browser: Browser, server: Server, username: str, password: str) -> int:
    status, _, page = browser.request(server.base + "/admin/login/")
    assert status == 200
    token = form_values(page, "login-form")["csrfmiddlewaretoken"][0]
    status, _, _ = browser.request(
        server.base + "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/admin/",
        },
    )
    return status


@pytest.fixture
def scratch_copy(transactional_db, tmp_path):
    """A copy of the test database (its committed rows) in a database of its own, restored with
    scripts/restore.sh as an operator would; dropped afterwards."""
    name = f"tracker_servers_{os.getpid()}_{time.monotonic_ns() % 10**8}"

    def make():
        made = run(
            "backup.sh", url=database_url(connection.settings_dict["NAME"]), backup_dir=tmp_path
        )
        assert made.returncode == 0, made.stderr
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = database_url(name)
        restored = run("restore.sh", made.stdout.strip(), url=url, backup_dir=tmp_path)
        assert restored.returncode == 0, restored.stderr
        return url

    yield make
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def servers(tmp_path):
    started: list[Server] = []

    def start(url: str) -> Server:
        server = Server(url, tmp_path / f"gunicorn-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def execute(url: str, sql: str, params=()) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
    conn.close()


def test_an_edit_through_one_server_is_in_the_others_next_answer(scratch_copy, servers):
    ground = GroundFactory(name="Spending Clause")
    RulingFactory().grounds.add(ground)
    User.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    User.objects.create_superuser("other", "other@example.org", PASSWORD)
    url = scratch_copy()
    first, second = servers(url), servers(url)

    visitor = Browser()
    for _ in range(4):  # cached by the second server's workers
        status, _, page = visitor.request(second.base + "/rulings/")
        assert status == 200 and "Spending Clause" in page

    editor = Browser()
    assert log_in(editor, first, "editor", PASSWORD) == 302
    change = f"/admin/cases/ground/{ground.pk}/change/"
    status, _, page = editor.request(first.base + change)
    assert status == 200
    values = form_values(page, "ground_form")
    values["name"] = ["Separation of powers"]
    values["_save"] = ["Save"]
    status, headers, page = editor.request(first.base + change, values)
    assert status == 302, page[:3000]

    for _ in range(4):
        status, _, page = visitor.request(second.base + "/rulings/")
        assert status == 200
        assert "Separation of powers" in page and "Spending Clause" not in page

    # The session made on the first server is good on the second (sessions in the database).
    status, _, page = editor.request(second.base + "/admin/")
    assert status == 200 and "Site administration" in page

    # Failed logins counted on one server lock the username on the other (lockouts in the
    # database): five wrong passwords through the first, then the right one through the second.
    attacker = Browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert log_in(attacker, first, "other", "not the password") in (200, 429)
    assert log_in(Browser(), second, "other", PASSWORD) == 429


def test_after_a_restore_no_worker_serves_a_removed_page_or_an_old_etag(
    scratch_copy, servers, tmp_path
):
    ruling = RulingFactory(summary="As it was at the backup.")
    url = scratch_copy()
    server = servers(url)
    page = f"{server.base}{ruling.get_absolute_url()}"
    backup = run("backup.sh", url=url, backup_dir=tmp_path / "backups")
    assert backup.returncode == 0, backup.stderr

    execute(
        url,
        "UPDATE cases_ruling SET summary = 'Edited after the backup.' WHERE id = %s",
        [ruling.pk],
    )
    visitor = Browser()
    for _ in range(12):  # every worker renders and caches the edited page
        status, headers, body = visitor.request(page)
        assert status == 200 and "Edited after the backup." in body
    old_etag = headers["ETag"]

    restored = run("restore.sh", backup.stdout.strip(), url=url, backup_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    # The next edit would have taken the version number the cached pages carry.
    execute(
        url, "UPDATE cases_ruling SET judges = 'Judge after the restore' WHERE id = %s", [ruling.pk]
    )

    for _ in range(12):
        status, headers, body = visitor.request(page)
        assert status == 200
        assert "Edited after the backup." not in body
        assert "As it was at the backup." in body and "Judge after the restore" in body
        status, _, _ = visitor.request(page, headers={"If-None-Match": old_etag})
        assert status == 200  # not 304: the old ETag names a page the restore removed
