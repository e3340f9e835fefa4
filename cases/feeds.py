"""Atom feeds of rulings: all of them (with the list's filters), per lawsuit and per policy.

A reader can follow one court, one circuit or one policy with the same query string as the
rulings list, e.g. /rulings/feed/?court=ilnd.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from cases import filters
from cases.listing import filter_values, unusable_parameter
from cases.models import Lawsuit, Policy, Ruling
from cases.selectors import court_directory_now, published_lawsuits, published_rulings

FEED_SIZE = 50
ALL_RULINGS_TITLE = "Rulings: sanctuary funding litigation tracker"


def feed_rulings(queryset: QuerySet[Ruling]) -> QuerySet[Ruling]:
    """The newest rulings of `queryset` with what their entries name: court and cases."""
    return (
        queryset.select_related("court")
        .prefetch_related(
            Prefetch("lawsuits", queryset=published_lawsuits().order_by("filed_on", "slug"))
        )
        .order_by("-decided_on", "-pk")[:FEED_SIZE]
    )


@dataclass(frozen=True)
class FilteredRulings:
    query: str  # the filters in force, as a query string (empty values left out)
    described: str  # the same, as a reader reads them: 'N.D. Ill., Preliminary injunction'
    queryset: QuerySet[Ruling]


class RulingFeed(Feed):
    feed_type = Atom1Feed
    subtitle = "New rulings on the federal funding conditions, newest first."

    def get_object(self, request: HttpRequest, filterset: filters.RulingFilter) -> FilteredRulings:
        values = filter_values(filterset, filterset.data)
        query = QueryDict(mutable=True)
        for value in values:
            query.appendlist(value.param, value.raw)
        citations = {}
        if any(value.param in ("court", "circuit") for value in values):
            directory = court_directory_now(filterset.data_version)
            citations = {court["id"]: court["citation"] for court in directory}
        described = ", ".join(
            citations.get(value.raw, value.short)
            if value.param in ("court", "circuit")
            else value.short
            for value in values
        )
        return FilteredRulings(query.urlencode(), described, filterset.qs)

    def title(self, obj: FilteredRulings) -> str:
        return f"Rulings: {obj.described}" if obj.described else ALL_RULINGS_TITLE

    def link(self, obj: FilteredRulings) -> str:
        return reverse("cases:ruling-list") + (f"?{obj.query}" if obj.query else "")

    def feed_url(self, obj: FilteredRulings) -> str:
        """The feed's own address with its filters: a reader subscribing through `rel="self"`
        follows what was filtered, not every ruling."""
        return reverse("cases:ruling-feed") + (f"?{obj.query}" if obj.query else "")

    def items(self, obj: FilteredRulings) -> QuerySet[Ruling]:
        return feed_rulings(obj.queryset)

    def item_title(self, item: Ruling) -> str:
        """'City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 15 Sep 2017'."""
        cases = "; ".join(lawsuit.caption for lawsuit in item.lawsuits.all())
        what = (
            f"{item.get_kind_display()}, {item.court.citation_string}, {item.decided_on:%d %b %Y}"
        )
        return f"{cases}: {what}" if cases else what

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

    def feed_url(self, obj: Lawsuit) -> str:
        return reverse("cases:lawsuit-feed", kwargs={"slug": obj.slug})

    def items(self, obj: Lawsuit) -> QuerySet[Ruling]:
        return feed_rulings(published_rulings().filter(lawsuits=obj))


class PolicyRulingFeed(RulingFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Policy:
        return get_object_or_404(Policy.objects.published(), slug=slug)

    def title(self, obj: Policy) -> str:
        return f"Rulings on {obj.short_title}"

    def subtitle(self, obj: Policy) -> str:
        return f"Rulings affecting {obj.title}, newest first."

    def link(self, obj: Policy) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Policy) -> str:
        return reverse("cases:policy-feed", kwargs={"slug": obj.slug})

    def items(self, obj: Policy) -> QuerySet[Ruling]:
        return feed_rulings(published_rulings().filter(effects__policy=obj).distinct())


_ruling_feed = RulingFeed()


@require_safe
def ruling_feed(request: HttpRequest) -> HttpResponse:
    """The rulings feed, narrowed by the rulings list's own filters (400 on a bad value)."""
    unusable = unusable_parameter(request)
    if unusable:
        return HttpResponseBadRequest(unusable + "\n", content_type="text/plain; charset=utf-8")
    params = request.GET.copy()
    params.pop("format", None)
    filterset = filters.RulingFilter(params, queryset=published_rulings(), request=request)
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            f"Invalid filter: {filterset.errors_text}\n", content_type="text/plain; charset=utf-8"
        )
    return _ruling_feed(request, filterset=filterset)


lawsuit_feed = require_safe(LawsuitRulingFeed())
policy_feed = require_safe(PolicyRulingFeed())
