"""Public pages cached on the data's last change, and answered conditionally (ETag, 304).

Every write to a case table moves one counter forward (the `cases_data_version` row, kept by
database triggers: migration 0006). Each public page request reads it, in one indexed query,
and everything below is keyed on it, so no cached answer outlives an edit:

* `ETag` names the page's version: the counter, the request's host and full path, the day (a
  policy's status "today" changes at midnight) and the code release. A client or proxy that
  sends it back in `If-None-Match` gets `304 Not Modified` and no body.
* The rendered HTML of a 200 answer is kept in Django's cache under the same key, so a repeat
  view of a list page skips the filters, the queries and the templates.
* Form choices (courts, policies, programs, grounds) and every policy's status today are
  kept the same way, so even a first view of a new filter combination does not read them.

Exports (`format=csv|json`) are streamed and never stored, but get an ETag and a 304 like the
pages. `/healthz` and the admin are not touched. `DJANGO_PAGE_CACHE_SECONDS=0` turns storing
off (ETags stay).
"""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from tracker.middleware import DATABASE_DOWN, unavailable_response

NOT_CACHED = {"healthz"}  # url names in the `cases` namespace that are never cached


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
    counter: int
    changed_at: datetime.datetime


def read_data_version() -> DataVersion | None:
    """The counter and time of the last change to the case data (one query), if recorded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT counter, changed_at FROM cases_data_version WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return None
    counter, changed_at = row
    if isinstance(changed_at, str):  # SQLite keeps it as text, in UTC
        changed_at = datetime.datetime.fromisoformat(changed_at).replace(tzinfo=datetime.UTC)
    return DataVersion(int(counter), changed_at)


# The version the current request read, so the form choices below reuse it without a query.
_current = threading.local()


def current_version() -> DataVersion | None:
    return getattr(_current, "version", None)


def until_next_change(name: str, build: Callable[[], Any]) -> Any:
    """`build()`, kept in the cache until the data next changes (built fresh when the request
    read no version, e.g. outside a public page). For the form choices and the policies'
    statuses today, which every page needs and few edits change."""
    version = current_version()
    if version is None or not settings.PAGE_CACHE_SECONDS:
        return build()
    key = f"choices:{RELEASE}:{version.counter}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def _every_status_today() -> tuple[dict, dict]:
    """Every published policy's status today, by id and by slug, kept until the data next
    changes or the day ends (one computation serves the lists, the exports and the dashboard)."""
    from cases.models import Policy
    from cases.status import statuses_for

    def build() -> tuple[dict, dict]:
        policies = list(Policy.objects.published())
        statuses = statuses_for(policies)
        return statuses, {policy.slug: statuses[policy.pk] for policy in policies}

    if current_version() is None or not settings.PAGE_CACHE_SECONDS:
        return build()
    return until_next_change(f"statuses:{timezone.localdate().isoformat()}", build)


def statuses_today(policies) -> dict:
    """`status.statuses_for(policies)` as of today, keyed by policy id."""
    from cases.status import statuses_for

    policies = list(policies)
    by_pk, _ = _every_status_today()
    missing = [policy for policy in policies if policy.pk not in by_pk]  # unpublished ones
    found = {policy.pk: by_pk[policy.pk] for policy in policies if policy.pk in by_pk}
    return found | (statuses_for(missing) if missing else {})


def policy_statuses_today() -> dict:
    """Every published policy's status today, keyed by slug."""
    return _every_status_today()[1]


def keeping_version(iterable):
    """`iterable`, iterated with the request's data version in force: a streamed export runs
    after the view has returned, and still reads the cached statuses and choices."""
    version = current_version()  # now, while the request's version is in force

    def iterate():
        _current.version = version
        try:
            yield from iterable
        finally:
            _current.version = None

    return iterate()


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
            str(version.counter),
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


class PublicPageCacheMiddleware:
    """Conditional GET and a page cache for the public pages (the `cases` namespace).

    Placed last in MIDDLEWARE, so security headers, CSP and sessions still wrap every answer,
    cached or not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            _current.version = None
        state: PageKey | None = getattr(request, "_page_key", None)
        if state is None or getattr(request, "_page_from_cache", False):
            return response
        if response.status_code in (200, 304):
            self._label(response, state)
        if (
            request.method == "GET"
            and response.status_code == 200
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

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            request.method not in ("GET", "HEAD")
            or match is None
            or match.namespace != "cases"
            or match.url_name in NOT_CACHED
        ):
            return None
        try:
            version = read_data_version()
        except DATABASE_DOWN:
            # The database is unreachable: the outage page now, before an export could start
            # streaming a 200 it cannot finish.
            return unavailable_response()
        if version is None:
            return None
        _current.version = version
        state = page_key(request, version)
        request._page_key = state
        not_modified = get_conditional_response(
            request, etag=state.etag, last_modified=int(state.last_modified.timestamp())
        )
        if not_modified is not None:
            return not_modified  # 304 (or 412), labelled on the way out
        if not settings.PAGE_CACHE_SECONDS:
            return None
        stored = cache.get(state.key)
        if stored is None:
            return None
        content, content_type = stored
        response = HttpResponse(content, content_type=content_type)
        self._label(response, state)
        request._page_from_cache = True
        return response

    @staticmethod
    def _label(response: HttpResponse, state: PageKey) -> None:
        response["ETag"] = state.etag
        response["Last-Modified"] = http_date(state.last_modified.timestamp())
        # Shared caches and browsers may keep a copy but must ask again each time (cheap: 304).
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
