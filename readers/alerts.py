"""Sending alerts: each confirmed subscription gets the rulings first published after it was
confirmed, that match its filters and that it has not been sent yet, once.

Exactly once, even when two runs overlap or a run dies halfway:

* Each subscription is handled in its own transaction, which locks its row with
  `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL): a second run passes over a subscription
  that the first is sending, and finds its rulings recorded once it gets there.
* The rulings sent are recorded (one Delivery per subscription and ruling, unique) in the same
  transaction as the send, before the message leaves: if the send fails or the process dies,
  the transaction rolls back and the next run sends them; once it commits, no run sends them
  again. Where rows are not locked (SQLite serialises writers instead), the unique Delivery
  pair refuses a second record of the same ruling and that run sends nothing.

A message accepted by the mail server just before the process dies, and before the commit, is
sent again by the next run: the one window no database can close.
"""

from __future__ import annotations

import datetime
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from cases.models import Lawsuit, Ruling
from readers import emails, tokens
from readers.filters import InvalidFilters, ruling_filter
from readers.models import (
    Delivery,
    Frequency,
    RulingPublication,
    Subscriber,
    Subscription,
    SubscriptionState,
)


@dataclass
class Report:
    """What one run did, for the command's output."""

    published: int = 0  # rulings seen published for the first time
    messages: int = 0
    rulings: int = 0  # rulings sent, over all messages
    held: int = 0  # subscriptions another run was sending, passed over
    overlapped: int = 0  # subscriptions whose rulings another run had just recorded
    expired: int = 0  # unconfirmed subscriptions deleted
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (id, query, why)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (id, mail error)


def record_publications() -> int:
    """Note every published ruling not yet in the ledger as first seen now.

    The time is read after the query has returned: a ruling it found was published before that
    time, so one published after a subscription's confirmation is always later than it."""
    seen = RulingPublication.objects.values("ruling_id")
    new = list(Ruling.objects.published().exclude(pk__in=seen).values_list("pk", flat=True))
    now = timezone.now()
    rows = [RulingPublication(ruling_id=pk, first_seen_at=now) for pk in new]
    # Another run or a confirmation may note the same rulings at the same time.
    RulingPublication.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def confirm(subscription: Subscription, frequency: str) -> None:
    """Confirm a subscription (locked by the caller): rulings public until now are not new
    to it. Confirming again only changes the frequency."""
    record_publications()
    now = timezone.now()
    subscription.frequency = frequency
    if not subscription.is_confirmed:
        subscription.state = SubscriptionState.CONFIRMED
        subscription.confirmed_at = now
        subscription.checked_at = now  # a daily digest starts at the next day's hour
    subscription.save(update_fields=["frequency", "state", "confirmed_at", "checked_at"])


def daily_boundary(now: datetime.datetime) -> datetime.datetime:
    """The latest time at or before `now` when daily digests fall due."""
    today = now.astimezone(datetime.UTC).replace(
        hour=settings.ALERTS_DAILY_HOUR, minute=0, second=0, microsecond=0
    )
    return today if today <= now else today - datetime.timedelta(days=1)


def is_due(subscription: Subscription, now: datetime.datetime) -> bool:
    if subscription.frequency == Frequency.IMMEDIATE:
        return True
    checked = subscription.checked_at
    return checked is None or checked < daily_boundary(now)


def new_rulings(subscription: Subscription) -> QuerySet[Ruling]:
    """Published rulings first seen after the subscription was confirmed and not yet sent."""
    seen_since = RulingPublication.objects.filter(
        first_seen_at__gt=subscription.confirmed_at
    ).values("ruling_id")
    sent = Delivery.objects.filter(subscription=subscription).values("ruling_id")
    return Ruling.objects.published().filter(pk__in=seen_since).exclude(pk__in=sent)


def send(message) -> None:
    """Hand one message to the mail backend (a seam for tests that stop a run halfway)."""
    message.send()


def _matching(subscription: Subscription) -> list[Ruling]:
    """The new rulings that match the subscription's filters; raises InvalidFilters."""
    filterset = ruling_filter(subscription.query, new_rulings(subscription))
    lawsuits = Lawsuit.objects.published().order_by("filed_on", "slug")
    return list(
        filterset.qs.order_by("decided_on", "pk")
        .select_related("court")
        .prefetch_related(Prefetch("lawsuits", queryset=lawsuits))
    )


def deliver(subscription_id: int, now: datetime.datetime, connection, report: Report) -> None:
    """Send one subscription what is new for it, and record it, in one transaction."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscriber")
            .filter(pk=subscription_id, state=SubscriptionState.CONFIRMED)
            .first()
        )
        if subscription is None:  # being sent by another run (or just ended)
            report.held += 1
            return
        if not is_due(subscription, now):
            return
        try:
            rulings = _matching(subscription)
        except InvalidFilters as exc:
            report.invalid.append((subscription.pk, subscription.query, str(exc)))
            if subscription.filter_error != str(exc)[:500]:
                subscription.filter_error = str(exc)[:500]
                subscription.save(update_fields=["filter_error"])
            return
        subscription.filter_error = ""
        subscription.checked_at = now
        if rulings:
            try:
                with transaction.atomic():
                    Delivery.objects.bulk_create(
                        [
                            Delivery(subscription=subscription, ruling=r, sent_at=now)
                            for r in rulings
                        ]
                    )
            except IntegrityError:  # another run recorded (and sent) them first
                report.overlapped += 1
                return
            send(emails.alert_message(subscription, rulings, connection=connection))
            subscription.last_sent_at = now
            report.messages += 1
            report.rulings += len(rulings)
        subscription.save(update_fields=["filter_error", "checked_at", "last_sent_at"])


def remove_expired(now: datetime.datetime) -> int:
    """Delete subscriptions never confirmed within the confirmation link's lifetime, and the
    addresses left with no subscription."""
    cutoff = now - datetime.timedelta(seconds=tokens.CONFIRM_MAX_AGE)
    expired, _ = Subscription.objects.filter(
        state=SubscriptionState.PENDING, created_at__lt=cutoff
    ).delete()
    Subscriber.objects.filter(subscriptions__isnull=True).delete()
    return expired


def send_alerts(now: datetime.datetime | None = None) -> Report:
    """One run: note newly published rulings, then send each due subscription its alert."""
    now = now or timezone.now()
    report = Report()
    report.published = record_publications()
    report.expired = remove_expired(now)
    connection = get_connection()
    ids = Subscription.objects.filter(state=SubscriptionState.CONFIRMED).order_by("pk")
    try:
        for subscription_id in ids.values_list("pk", flat=True):
            try:
                deliver(subscription_id, now, connection, report)
            except (smtplib.SMTPException, OSError) as exc:
                # Rolled back: the next run tries again. Other subscriptions go on.
                report.failed.append((subscription_id, f"{type(exc).__name__}: {exc}"))
                connection.close()
    finally:
        connection.close()
    return report
