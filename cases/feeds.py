"""Atom feeds of rulings: all of them (with the list's filters), per lawsuit and per policy.

A reader can follow one court, one circuit or one policy with the same query string as the
rulings list, e.g. /rulings/feed/?court=ilnd.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from cases import filters
from cases.models import Lawsuit, Policy, Ruling

FEED_SIZE = 50


def _published_rulings() -> QuerySet[Ruling]:
    return Ruling.objects.published().select_related("court")


@dataclass(frozen=True)
class FilteredRulings:
    query: str
    queryset: QuerySet[Ruling]


class RulingFeed(Feed):
    feed_type = Atom1Feed
    title = "Rulings: sanctuary funding litigation tracker"
    subtitle = "New rulings on the federal funding conditions, newest first."

    def get_object(self, request: HttpRequest, queryset: QuerySet[Ruling]) -> FilteredRulings:
        return FilteredRulings(query=request.GET.urlencode(), queryset=queryset)

    def link(self, obj: FilteredRulings) -> str:
        return reverse("cases:ruling-list") + (f"?{obj.query}" if obj.query else "")

    def items(self, obj: FilteredRulings) -> QuerySet[Ruling]:
        return obj.queryset.order_by("-decided_on", "-pk")[:FEED_SIZE]

    def item_title(self, item: Ruling) -> str:
        return (
            f"{item.get_kind_display()}: {item.court.citation_string}, {item.decided_on:%d %b %Y}"
        )

    def item_description(self, item: Ruling) -> str:
        return f"{item.get_outcome_display()}. {item.summary}"

    def item_link(self, item: Ruling) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Ruling) -> datetime.datetime:
        return datetime.datetime.combine(item.decided_on, datetime.time(), tzinfo=datetime.UTC)

    def item_updateddate(self, item: Ruling) -> datetime.datetime:
        return item.updated_at

    def item_categories(self, item: Ruling) -> list[str]:
        return [item.get_kind_display(), item.get_outcome_display(), item.court.citation_string]


class LawsuitRulingFeed(RulingFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Lawsuit:
        return get_object_or_404(Lawsuit.objects.published(), slug=slug)

    def title(self, obj: Lawsuit) -> str:
        return f"Rulings in {obj.caption}"

    def subtitle(self, obj: Lawsuit) -> str:
        return f"Rulings in {obj} as they are recorded, newest first."

    def link(self, obj: Lawsuit) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Lawsuit) -> QuerySet[Ruling]:
        return _published_rulings().filter(lawsuits=obj).order_by("-decided_on", "-pk")[:FEED_SIZE]


class PolicyRulingFeed(RulingFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Policy:
        return get_object_or_404(Policy.objects.published(), slug=slug)

    def title(self, obj: Policy) -> str:
        return f"Rulings on {obj.short_title}"

    def subtitle(self, obj: Policy) -> str:
        return f"Rulings affecting {obj.title}, newest first."

    def link(self, obj: Policy) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Policy) -> QuerySet[Ruling]:
        return (
            _published_rulings()
            .filter(effects__policy=obj)
            .distinct()
            .order_by("-decided_on", "-pk")[:FEED_SIZE]
        )


_ruling_feed = RulingFeed()


@require_safe
def ruling_feed(request: HttpRequest) -> HttpResponse:
    """The rulings feed, narrowed by the rulings list's own filters (400 on a bad value)."""
    for key, values in request.GET.lists():
        if any("\x00" in value for value in [key, *values]):
            return HttpResponseBadRequest("Parameters may not contain NUL characters.\n")
    params = request.GET.copy()
    params.pop("format", None)
    filterset = filters.RulingFilter(params, queryset=_published_rulings(), request=request)
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            f"Invalid filter: {filterset.errors_text}\n", content_type="text/plain; charset=utf-8"
        )
    return _ruling_feed(request, queryset=filterset.qs)


lawsuit_feed = require_safe(LawsuitRulingFeed())
policy_feed = require_safe(PolicyRulingFeed())
