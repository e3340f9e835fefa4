"""Readers' pages: subscribe to alerts (double opt-in), confirm, unsubscribe, manage one's
alerts, and suggest a correction to a public record.

These pages are never cached (`never_cache`, and they are outside the `cases` namespace that
cases.caching stores). Their forms carry a CSRF token tied to the visitor's own cookie, so they
cannot live inside the cached public pages, which are one copy for everyone: those pages link
here instead (templates/readers/includes/), and stay cached.

Answers never reveal whether an address is subscribed: subscribing an address that already
follows the same filters sends the same confirmation email and shows the same page.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from cases.models import Court, FundingProgram, Jurisdiction, Lawsuit, Policy, Ruling
from readers import alerts, emails, filters, ratelimit, tokens
from readers.forms import CorrectionForm, ManageRequestForm, SubscribeForm
from readers.models import Frequency, Subscriber, Subscription, SubscriptionState
from tracker.middleware import client_ip

logger = logging.getLogger(__name__)

GET_POST = ["GET", "HEAD", "POST"]


def _limited(request: HttpRequest, what: str) -> HttpResponse:
    response = render(request, "readers/rate_limited.html", {"what": what}, status=429)
    response["Retry-After"] = str(ratelimit.HOUR)
    return response


def _mail_failed(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/mail_failed.html", status=503)


def _invalid_link(request: HttpRequest, status: int = 400) -> HttpResponse:
    return render(request, "readers/link_invalid.html", status=status)


def _client(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


# --- Subscribing -------------------------------------------------------------------------------


@never_cache
@require_http_methods(GET_POST)
def subscribe(request: HttpRequest) -> HttpResponse:
    """GET: the form for the rulings list's filters in the query string. POST: subscribe."""
    if request.method == "POST":
        return _subscribe_post(request)
    try:
        query = filters.validated_query(request.GET)
    except filters.InvalidFilters as exc:
        context = {"error": str(exc)}
        return render(request, "readers/subscribe.html", context, status=400)
    form = SubscribeForm(initial={"filters": query})
    return _subscribe_page(request, form, query)


def _subscribe_page(request, form, query: str | None, status: int = 200) -> HttpResponse:
    context = {"form": form}
    if query is not None:
        context.update(parts=filters.describe(query), list_url=_list_path(query))
    return render(request, "readers/subscribe.html", context, status=status)


def _list_path(query: str) -> str:
    return reverse("cases:ruling-list") + (f"?{query}" if query else "")


def _subscribe_post(request: HttpRequest) -> HttpResponse:
    if not ratelimit.SUBSCRIBE_PER_CLIENT.allows(_client(request)):
        return _limited(request, "subscription requests from your address")
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        query = None
        if "filters" not in form.errors:
            query = form.cleaned_data["filters"]
        return _subscribe_page(request, form, query, status=400)
    if form.is_spam:
        return redirect("readers:requested")
    email = form.cleaned_data["email"]
    if not ratelimit.SUBSCRIBE_PER_EMAIL.allows(email):
        return _limited(request, "subscription requests for this email address")
    subscription = _pending_or_existing(email, form.cleaned_data["filters"])
    message = emails.confirmation_message(subscription, form.cleaned_data["frequency"])
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send a confirmation email")
        return _mail_failed(request)
    return redirect("readers:requested")


def _pending_or_existing(email: str, query: str) -> Subscription:
    """The address's subscription to these filters, made (pending) if there is none. Either
    way the caller sends the same confirmation email: confirming an existing one again only
    changes its frequency."""
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=email)
        subscription, _ = Subscription.objects.select_related("subscriber").get_or_create(
            subscriber=subscriber, query=query
        )
    return subscription


@never_cache
@require_safe
def requested(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/requested.html")


@never_cache
@require_http_methods(GET_POST)
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (a link scanner fetching the page confirms nothing).
    POST: confirm."""
    try:
        asked = tokens.read_confirm_token(token)
    except tokens.BadToken:
        return _invalid_link(request)
    if request.method != "POST":
        subscription = Subscription.objects.filter(pk=asked.subscription_id).first()
        if subscription is None:
            return _invalid_link(request, status=404)
        context = {
            "parts": _parts(subscription.query),
            "frequency": Frequency(asked.frequency).label,
        }
        return render(request, "readers/confirm.html", context)
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().filter(pk=asked.subscription_id).first()
        )
        if subscription is None:
            return _invalid_link(request, status=404)
        alerts.confirm(subscription, asked.frequency)
    context = {
        "parts": _parts(subscription.query),
        "frequency": subscription.get_frequency_display(),
        "manage_path": reverse(
            "readers:manage", args=[tokens.manage_token(subscription.subscriber_id)]
        ),
        "unsubscribe_path": reverse(
            "readers:unsubscribe", args=[tokens.unsubscribe_token(subscription.pk)]
        ),
    }
    return render(request, "readers/confirmed.html", context)


def _parts(query: str) -> list[filters.FilterPart] | None:
    """The filters in words, or None when they no longer validate."""
    try:
        return filters.describe(query)
    except filters.InvalidFilters:
        return None


# --- Leaving -----------------------------------------------------------------------------------


def _end(subscriptions: models.QuerySet[Subscription]) -> None:
    with transaction.atomic():
        subscriber_ids = set(subscriptions.values_list("subscriber_id", flat=True))
        subscriptions.delete()
        Subscriber.objects.filter(pk__in=subscriber_ids, subscriptions__isnull=True).delete()


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", with no token
@never_cache
@require_http_methods(GET_POST)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (RFC 8058: a fetch of the link must not unsubscribe).
    POST, from that button or a mail client's one-click: end the subscription. Idempotent:
    a second POST answers the same."""
    try:
        subscription_id = tokens.read_unsubscribe_token(token)
    except tokens.BadToken:
        return _invalid_link(request)
    if request.method == "POST":
        _end(Subscription.objects.filter(pk=subscription_id))
        return render(request, "readers/unsubscribed.html")
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return render(request, "readers/unsubscribed.html")
    return render(request, "readers/unsubscribe.html", {"parts": _parts(subscription.query)})


@dataclass(frozen=True)
class Listed:
    pk: int
    parts: list[filters.FilterPart] | None
    query: str
    list_path: str
    frequency: str
    confirmed: bool


@never_cache
@require_http_methods(GET_POST)
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The alerts of one address, reached from the link in every alert; end any or all."""
    try:
        subscriber_id = tokens.read_manage_token(token)
    except tokens.BadToken:
        return _invalid_link(request)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return render(request, "readers/manage.html", {"listed": []})
    own = Subscription.objects.filter(subscriber=subscriber)
    if request.method == "POST":
        chosen = own if "end_all" in request.POST else own.filter(pk__in=_ids(request.POST))
        _end(chosen)
        return redirect(request.path)
    listed = [
        Listed(
            sub.pk,
            _parts(sub.query),
            sub.query,
            _list_path(sub.query),
            sub.get_frequency_display(),
            sub.state == SubscriptionState.CONFIRMED,
        )
        for sub in own.order_by("created_at", "pk")
    ]
    context = {"listed": listed, "address": _masked(subscriber.email)}
    return render(request, "readers/manage.html", context)


def _ids(data: QueryDict) -> list[int]:
    return [int(value) for value in data.getlist("end") if value.isascii() and value.isdigit()]


def _masked(email: str) -> str:
    """Like "a…@example.org": enough for its owner to recognise, not a readable address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


@never_cache
@require_http_methods(GET_POST)
def manage_request(request: HttpRequest) -> HttpResponse:
    """Ask for one's manage link by email (for anyone who lost it)."""
    if request.method != "POST":
        return render(request, "readers/manage_request.html", {"form": ManageRequestForm()})
    if not ratelimit.SUBSCRIBE_PER_CLIENT.allows(_client(request)):
        return _limited(request, "requests from your address")
    form = ManageRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "readers/manage_request.html", {"form": form}, status=400)
    if form.is_spam:
        return redirect("readers:manage-sent")
    email = form.cleaned_data["email"]
    if not ratelimit.SUBSCRIBE_PER_EMAIL.allows(email):
        return _limited(request, "requests for this email address")
    subscriber = Subscriber.objects.filter(email=email).first()
    if subscriber is not None:
        try:
            emails.manage_message(subscriber.pk, subscriber.email).send()
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send a manage link")
            return _mail_failed(request)
    return redirect("readers:manage-sent")


@never_cache
@require_safe
def manage_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/manage_sent.html")


# --- Corrections -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of public record a correction may point at, and how its key reads."""

    label: str
    queryset: Callable[[], models.QuerySet]
    key_field: str  # "pk" or "slug"

    def get(self, key: str) -> models.Model:
        if self.key_field == "pk" and self.queryset().model is Ruling and not key.isdigit():
            raise Http404("No such record.")
        record = self.queryset().filter(**{self.key_field: key}).first()
        if record is None:
            raise Http404("No such record.")
        return record


RECORD_KINDS: dict[str, RecordKind] = {
    "ruling": RecordKind(
        "ruling", lambda: Ruling.objects.published().select_related("court"), "pk"
    ),
    "lawsuit": RecordKind("lawsuit", Lawsuit.objects.published, "slug"),
    "policy": RecordKind("policy", Policy.objects.published, "slug"),
    "court": RecordKind("court", Court.objects.all, "pk"),
    "program": RecordKind("funding program", FundingProgram.objects.all, "slug"),
    "jurisdiction": RecordKind("jurisdiction", Jurisdiction.objects.all, "slug"),
}


def _record(kind: str, key: str) -> tuple[RecordKind, models.Model]:
    record_kind = RECORD_KINDS.get(kind)
    if record_kind is None:
        raise Http404("No such kind of record.")
    return record_kind, record_kind.get(key)


@never_cache
@require_http_methods(GET_POST)
def suggest_correction(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    record_kind, record = _record(kind, key)
    context = {"record": record, "record_kind": record_kind}
    if request.method != "POST":
        return render(
            request, "readers/correction_form.html", {**context, "form": CorrectionForm()}
        )
    if not ratelimit.CORRECTIONS_PER_CLIENT.allows(_client(request)):
        return _limited(request, "suggestions from your address")
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "readers/correction_form.html", context, status=400)
    if not form.is_spam:
        correction = form.save(commit=False)
        correction.content_type = ContentType.objects.get_for_model(record)
        correction.object_id = str(record.pk)
        correction.record_label = str(record)[:300]
        correction.record_path = record.get_absolute_url()[:300]
        correction.save()
    return redirect("readers:correction-thanks", kind=kind, key=key)


@never_cache
@require_safe
def correction_thanks(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    record_kind, record = _record(kind, key)
    return render(
        request, "readers/correction_thanks.html", {"record": record, "record_kind": record_kind}
    )
