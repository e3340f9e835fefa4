"""The messages the tracker sends: a confirmation request, an alert, a "manage" link.

Each is plain text with an HTML alternative, rendered from templates/readers/email/. Links are
absolute on settings.SITE_URL, never on a request's Host header. Alerts carry a one-click
unsubscribe (RFC 8058): `List-Unsubscribe` names the signed unsubscribe address and
`List-Unsubscribe-Post` tells the mail client it may POST to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from cases.models import Ruling
from readers import filters, tokens
from readers.models import Frequency, Subscription

# An alert lists at most this many rulings, then links to the list page for the rest.
MAX_RULINGS_LISTED = 50
MAX_SUBJECT = 150


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(subscription: Subscription) -> str:
    token = tokens.unsubscribe_token(subscription.pk)
    return absolute(reverse("readers:unsubscribe", args=[token]))


def manage_url(subscriber_id: int) -> str:
    return absolute(reverse("readers:manage", args=[tokens.manage_token(subscriber_id)]))


def list_url(query: str) -> str:
    return absolute(reverse("cases:ruling-list") + (f"?{query}" if query else ""))


def _message(
    subject: str, template: str, context: dict, to: str, headers: dict | None = None, **kwargs
) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"readers/email/{template}.txt", context)
    html = render_to_string(f"readers/email/{template}.html", context)
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    # An explicit Message-ID: Django's default looks the machine's name up in the DNS.
    headers = {"Message-ID": make_msgid(domain=domain), "Auto-Submitted": "auto-generated"} | (
        headers or {}
    )
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers, **kwargs)
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscription: Subscription, frequency: str) -> EmailMultiAlternatives:
    token = tokens.confirm_token(subscription.pk, frequency)
    context = {
        "parts": filters.describe(subscription.query),
        "frequency": Frequency(frequency).label,
        "confirm_url": absolute(reverse("readers:confirm", args=[token])),
        "list_url": list_url(subscription.query),
        "days": tokens.CONFIRM_MAX_AGE // (24 * 60 * 60),
    }
    summary = filters.summary(subscription.query)
    return _message(
        f"Confirm your email alert for {summary}",
        "confirm",
        context,
        subscription.subscriber.email,
    )


def alert_message(
    subscription: Subscription, rulings: Sequence[Ruling], **kwargs
) -> EmailMultiAlternatives:
    """The alert for `rulings` (with their court and published lawsuits loaded)."""
    shown = [
        {
            "ruling": ruling,
            "url": absolute(ruling.get_absolute_url()),
            "lawsuits": [lawsuit.caption for lawsuit in ruling.lawsuits.all()],
        }
        for ruling in rulings[:MAX_RULINGS_LISTED]
    ]
    unsubscribe = unsubscribe_url(subscription)
    context = {
        "summary": filters.summary(subscription.query),
        "rulings": shown,
        "count": len(rulings),
        "more": max(0, len(rulings) - MAX_RULINGS_LISTED),
        "list_url": list_url(subscription.query),
        "unsubscribe_url": unsubscribe,
        "manage_url": manage_url(subscription.subscriber_id),
        "daily": subscription.frequency == Frequency.DAILY,
    }
    if len(rulings) == 1:
        ruling = rulings[0]
        subject = (
            f"New ruling: {ruling.get_kind_display()}, {ruling.court.citation_string}, "
            f"{ruling.decided_on:%Y-%m-%d}"
        )
    else:
        subject = f"{len(rulings)} new rulings: {context['summary']}"
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return _message(subject, "alert", context, subscription.subscriber.email, headers, **kwargs)


def manage_message(subscriber_id: int, email: str) -> EmailMultiAlternatives:
    context = {"manage_url": manage_url(subscriber_id)}
    return _message("Your email alerts", "manage", context, email)
