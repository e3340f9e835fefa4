"""Public pages cached on the data's last change, and answered conditionally (ETag, 304).

Every write to the public case data moves one version forward (the `cases_data_version` row,
kept by database triggers: migrations 0006, 0009 and 0017), and everything below is keyed on
it, so no cached answer outlives an edit. On SQLite each public page request reads it, in one
indexed query. On PostgreSQL the database notifies every move of it (migration 0022): each
connection listens, and a request no one is signed in to uses the version its connection read
last until a notification comes (`watched_data_version`: a look at the socket, no query); an
editor's request reads it every time.

* `ETag` names the page's version: the restore epoch and counter, the request's host and full
  path, the day (a policy's status "today" changes at midnight) and the code release. A client
  or proxy that sends it back in `If-None-Match` gets `304 Not Modified` and no body.
* The rendered HTML of a 200 answer is kept in Django's cache under the same key, so a repeat
  view of a list page skips the filters, the queries and the templates.
* Form choices (courts, policies, programs, grounds) are kept the same way
  (`until_next_change`), so a first view of a new filter combination does not read them.
* What a first view reads on every request is also kept in the process as built objects, for
  the current version only (`KeptForVersion`): those choices, the facets' monthly tallies
  (cases.facets) and the rulings tables' rows (cases.tables).

The version read for a request is passed explicitly: `request.data_version`, handed by the views
to the filters, the form renderer and the exports (nothing is kept in thread-locals).

`PublicPageCacheMiddleware` sits right after the middleware whose headers every answer must
carry (security headers, CSP, X-Frame-Options). For a request without a session cookie (the
public: nobody signed in) it answers a public page itself, before the session, auth, messages,
CSRF, history and lockout middleware, none of which a public page uses: a 304, the cached page,
or the view called directly. A request that carries a session cookie (an editor) goes through
the whole stack, and its answer is never stored.

Exports (`format=csv|json`) are streamed and never stored, but get an ETag and a 304 like the
pages. `/healthz` and the admin are not touched. `DJANGO_PAGE_CACHE_SECONDS=0` turns storing
off (ETags stay). Several app servers share the version through the database, so a page cached
in one process is not served after an edit made through another: not once the edit's
notification has arrived, which it does as the edit commits.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, URLResolver, get_resolver, get_urlconf
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from tracker.middleware import DATABASE_DOWN, unavailable_response

NOT_CACHED = {"healthz"}  # url names in the `cases` namespace that are never cached
# What patch_cache_control(public=True, max_age=0, must_revalidate=True) writes on an answer
# that has no Cache-Control yet.
REVALIDATE = "public, max-age=0, must-revalidate"


def _release() -> str:
    """A digest of the code and templates, so a deploy never serves the last release's pages."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder, pattern in (("cases", "*.py"), ("tracker", "*.py"), ("templates", "*.*")):
        for path in sorted((base / folder).rglob(pattern)):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


RELEASE = _release()


@dataclass(frozen=True)
class DataVersion:
    """The public data's version: `epoch` changes at every restore (scripts/restore.sh), and
    `counter` moves forward at every change to published data, so the pair never names two
    different states of the data, even after a backup older than the last edit is restored."""

    counter: int
    changed_at: datetime.datetime
    epoch: str = ""

    @property
    def key(self) -> str:
        return f"{self.epoch}.{self.counter}"


# The channel PostgreSQL notifies at every change of the data version (migration 0022).
VERSION_CHANNEL = "cases_data_version"
VERSION_QUERY = "SELECT counter, changed_at, epoch FROM cases_data_version WHERE id = 1"


def read_data_version(listen: bool = False) -> DataVersion | None:
    """The version of the public data and the time it last changed (one query), if recorded.
    With `listen` (PostgreSQL), the connection starts listening to the version's changes in the
    same round trip."""
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {VERSION_CHANNEL}; {VERSION_QUERY}" if listen else VERSION_QUERY)
        row = cursor.fetchone()
    if row is None:
        return None
    counter, changed_at, epoch = row
    if isinstance(changed_at, str):  # SQLite keeps it as text, in UTC
        changed_at = datetime.datetime.fromisoformat(changed_at).replace(tzinfo=datetime.UTC)
    return DataVersion(int(counter), changed_at, epoch or "")


def read_data_version_first(listen: bool = False) -> DataVersion | None:
    """`read_data_version()` as a request's first query: the query is also the connection's
    health check (CONN_HEALTH_CHECKS), which would otherwise cost a `SELECT 1` of its own. A
    connection the database has dropped since the last request is closed, and the version read
    again on a new one."""
    if connection.connection is None or not connection.health_check_enabled:
        return read_data_version(listen)
    if connection.health_check_done:
        return read_data_version(listen)
    connection.health_check_done = True
    try:
        return read_data_version(listen)
    except DATABASE_DOWN:
        connection.close()
    return read_data_version(listen)


def _can_watch() -> bool:
    # Notifications reach a connection between transactions: none inside one (most tests).
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def read_and_watch_data_version() -> DataVersion | None:
    """The data version, read by query. On PostgreSQL outside a transaction the connection
    also listens to the version's changes, and keeps what it read for
    `watched_data_version`."""
    if not _can_watch():
        return read_data_version_first()
    raw = connection.connection
    if raw is not None:
        del raw.notifies[:]  # the changes they announced are in what is read now
    version = read_data_version_first(listen=True)
    connection.watched_data_version = (connection.connection, version)
    return version


def watched_data_version() -> DataVersion | None:
    """The data version for a public page, without a query while it has not moved.

    On PostgreSQL, outside a transaction, the version this connection read last, as long as no
    notification of a change has come since: a look at the connection's socket instead of a
    round trip. The database sends the notification as the change commits, so a page can be
    answered from the version before an edit only in the moment the notification takes to
    arrive. A connection the database has closed is replaced, and the version read again on
    the new one; one lost without a word is closed by Django after CONN_MAX_AGE at the latest.
    Elsewhere (SQLite, or inside a transaction) the version is read each time."""
    if not _can_watch():
        return read_data_version_first()
    raw = connection.connection
    known = getattr(connection, "watched_data_version", None)
    if raw is not None and known is not None and known[0] is raw:
        del raw.notices[:]
        try:
            raw.poll()  # reads what waits on the socket: notifications, or a goodbye
        except psycopg2.Error:
            connection.close()  # dropped by the database: read again on a new connection
        else:
            if raw.notices:
                # A message while idle is the server's goodbye (`FATAL: terminating
                # connection ...`), read before the connection is seen closed.
                connection.close()
            elif not raw.notifies:
                connection.health_check_done = True  # the socket answered: no SELECT 1
                return known[1]
    return read_and_watch_data_version()


def request_version(request: HttpRequest | None) -> DataVersion | None:
    """The version read for `request` by PublicPageCacheMiddleware (None outside public pages)."""
    return getattr(request, "data_version", None)


def until_next_change(version: DataVersion | None, name: str, build: Callable[[], Any]) -> Any:
    """`build()`, kept until the data next changes (built fresh without a version, e.g. outside
    a public page). For the form choices every page needs and few edits change: kept in the
    process as built (`CHOICES`), read by every first view without unpickling, and in Django's
    cache, which processes may share. What it returns is read, never changed."""
    if version is None or not settings.PAGE_CACHE_SECONDS:
        return build()
    value = CHOICES.get(version, name)
    if value is not None:
        return value
    key = f"choices:{RELEASE}:{version.key}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    CHOICES.put(version, name, value)
    return value


class KeptForVersion:
    """Values this process built for the data's current version, kept as objects (no pickling:
    for what is read on every first view, as the facets' monthly tallies and the rows of the
    rulings tables). A newer version drops them all; past `limit` values the longest unused
    goes. Each process keeps its own: they follow the version the request read, as the cache
    does. Safe to share between threads (a value is built outside the lock, so two threads may
    build the same one; either is kept)."""

    every: list[KeptForVersion] = []

    def __init__(self, limit: int):
        self.limit = limit
        self.version = ""
        self.values: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()
        KeptForVersion.every.append(self)

    def _at(self, version: DataVersion) -> OrderedDict:
        if version.key != self.version:
            self.values.clear()
            self.version = version.key
        return self.values

    def get(self, version: DataVersion, key: Any, build: Callable[[], Any] | None = None) -> Any:
        """The value kept under `key`, or `build()` kept (None without `build`)."""
        with self.lock:
            values = self._at(version)
            found = values.get(key)
            if found is not None:
                values.move_to_end(key)
                return found
        if build is None:
            return None
        found = build()
        self.put(version, key, found)
        return found

    def put(self, version: DataVersion, key: Any, value: Any) -> None:
        with self.lock:
            values = self._at(version)
            values[key] = value
            values.move_to_end(key)
            while len(values) > self.limit:
                values.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.values.clear()
            self.version = ""

    @classmethod
    def clear_every(cls) -> None:
        for kept in cls.every:
            kept.clear()


# What `until_next_change` built or read for the current version: the form choices (a few
# dozen) and the facets' counts of the filters asked last.
CHOICES = KeptForVersion(limit=256)


@dataclass(frozen=True)
class PageKey:
    key: str
    etag: str
    last_modified: datetime.datetime


def page_key(request: HttpRequest, version: DataVersion) -> PageKey:
    today = timezone.localdate()
    identity = "\n".join(
        [
            RELEASE,
            version.key,
            today.isoformat(),
            request.scheme or "",
            request.get_host(),
            request.get_full_path(),
        ]
    )
    digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()
    # A page can change at midnight (status "today") with no edit: never older than the day.
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    return PageKey(
        key=f"page:{digest}",
        etag=f'"{version.counter}-{digest[:20]}"',
        last_modified=max(version.changed_at, midnight),
    )


def _public_page(request: HttpRequest):
    """The resolved public page `request` asks for, or None (the admin, /healthz, static
    files, anything that does not resolve, anything but GET and HEAD)."""
    if request.method not in ("GET", "HEAD"):
        return None
    return _public_match(get_resolver(get_urlconf()), request.path_info)


@functools.lru_cache(maxsize=1024)
def _public_match(resolver: URLResolver, path: str):
    """`path`'s match under `resolver` if it is a public page, else None; kept per path, as a
    path resolves the same way until the URLconf changes (a new resolver)."""
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return None
    if match.namespace != "cases" or match.url_name in NOT_CACHED:
        return None
    return match


class PublicPageCacheMiddleware:
    """Conditional GET, a page cache and a short path for the public pages (see the module).

    Placed after SecurityMiddleware, CSPMiddleware and XFrameOptionsMiddleware, so their headers
    label every answer, cached or not, and before every other middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _public_page(request)
        if match is None:
            return self.get_response(request)
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        try:
            # An editor's request always reads the version: what they just changed shows.
            version = read_and_watch_data_version() if signed_in else watched_data_version()
        except DATABASE_DOWN:
            # The database is unreachable: the outage page now, before an export could start
            # streaming a 200 it cannot finish.
            return unavailable_response()
        if version is None:
            return self.get_response(request)
        request.data_version = version
        state = page_key(request, version)
        not_modified = get_conditional_response(
            request, etag=state.etag, last_modified=int(state.last_modified.timestamp())
        )
        if not_modified is not None:
            self._label(not_modified, state)
            return not_modified  # 304 (or 412)

        if signed_in:
            response = self.get_response(request)  # the whole stack; never stored
        else:
            if settings.PAGE_CACHE_SECONDS:
                stored = cache.get(state.key)
                if stored is not None:
                    content, content_type = stored
                    response = HttpResponse(content, content_type=content_type)
                    response["Content-Length"] = str(len(content))
                    self._label(response, state)
                    return response
            response = self._view(request, match)

        if response.status_code == 200:
            self._label(response, state)
            if (
                not signed_in
                and request.method == "GET"
                and not response.streaming
                and not response.cookies
                and not response.has_header("Vary")
                and settings.PAGE_CACHE_SECONDS
            ):
                cache.set(
                    state.key,
                    (response.content, response["Content-Type"]),
                    settings.PAGE_CACHE_SECONDS,
                )
        return response

    @staticmethod
    def _view(request: HttpRequest, match) -> HttpResponse:
        """The page's view, called without the middleware a public page does not need: there
        is no session (no cookie), so no user but the anonymous one, no messages, and a GET
        needs no CSRF check. Errors are answered by Django's handlers (404.html, 500.html,
        the outage page) as for any middleware's exception."""
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response

    @staticmethod
    def _label(response: HttpResponse, state: PageKey) -> None:
        response["ETag"] = state.etag
        response["Last-Modified"] = http_date(state.last_modified.timestamp())
        # Shared caches and browsers may keep a copy but must ask again each time (cheap: 304).
        if response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        else:
            response["Cache-Control"] = REVALIDATE
