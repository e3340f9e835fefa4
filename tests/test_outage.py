"""A real PostgreSQL outage under gunicorn: connections cut mid-request, the server gone, then
back. Visitors get the static 503 page with Retry-After while it is down, and the site recovers
by itself within seconds.

gunicorn reaches PostgreSQL through a small TCP relay that the test controls, so "the server
stops" and "the server comes back" happen without touching the PostgreSQL server the rest of
the suite (and the machine) uses: closing the relay drops every open database connection, as a
server shutdown or a terminated backend does, and refuses new ones.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="a PostgreSQL outage: CI runs this file again on PostgreSQL",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL until `stop()`, which also cuts every
    connection; `start()` listens on the same port again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self.listener is not None:
            # shutdown() first: close() alone leaves a thread blocked in accept() accepting.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self.sockets.clear()


def fetch(url: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def relay():
    db = settings.DATABASES["default"]
    relay = Relay((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def site(relay):
    """gunicorn, one worker with persistent, health-checked connections, reaching the test
    database through the relay."""
    db = settings.DATABASES["default"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{relay.port}/{db['NAME']}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_HTTPS="false",
        DJANGO_CONN_MAX_AGE="600",
        DJANGO_PAGE_CACHE_SECONDS="0",  # every request goes to the database
    )
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "/dev/null"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
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


def backends_of(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return cursor.fetchone()[0]


def test_an_outage_is_503_and_the_site_recovers_by_itself(relay, site):
    status, _, _ = fetch(site + "/rulings/")
    assert status == 200  # up, with a persistent connection open through the relay

    relay.stop()  # the server goes away: open connections cut, new ones refused
    assert b"Temporarily unavailable" in fetch(site + "/")[2]
    for path in ["/rulings/", "/healthz", "/lawsuits/?format=csv"]:
        status, headers, body = fetch(site + path)
        assert status == 503, path
        assert headers["Retry-After"] == "30"
        assert b"Traceback" not in body and b"psycopg" not in body

    relay.start()  # the server is back
    started = time.monotonic()
    while True:
        status, _, _ = fetch(site + "/rulings/")
        if status == 200 or time.monotonic() - started > 10:
            break
        time.sleep(0.2)
    assert status == 200
    assert time.monotonic() - started < 10
    assert fetch(site + "/healthz")[0] == 200


def test_a_terminated_backend_is_replaced_on_the_next_request(relay, site):
    """pg_terminate_backend on the worker's connection (what an administrator or a failover
    does): the health check notices the dead connection and the next visitor is served."""
    assert fetch(site + "/rulings/")[0] == 200
    database = settings.DATABASES["default"]["NAME"]
    assert backends_of(database) >= 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )

    statuses = [fetch(site + "/rulings/")[0] for _ in range(3)]
    assert statuses[-1] == 200
    assert set(statuses) <= {200, 503}  # never a 500
