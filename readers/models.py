"""What readers give the tracker: email alert subscriptions, and suggested corrections.

Both are private. No public page or export shows an email address, a subscription or a
suggestion; editors work through the suggestions in the admin, and a suggestion never changes a
record by itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "As soon as a ruling is published"
    DAILY = "daily", "One daily digest"


class SubscriptionState(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class Subscriber(models.Model):
    """An email address with at least one subscription; deleted with its last subscription."""

    email = models.EmailField(unique=True, help_text="Stored in lower case.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Subscription(models.Model):
    """Alerts for the rulings one filtered rulings list shows.

    `query` is the list's query string, validated by cases.filters.RulingFilter when stored and
    again before every send, in a canonical form (known parameters only, sorted), so the same
    filters asked twice are one subscription. A lawsuit, policy or court page subscribes to
    `lawsuit=`, `policy=` or `court=`.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    query = models.CharField(max_length=2000, blank=True, help_text="Rulings list filters.")
    frequency = models.CharField(
        max_length=16, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    state = models.CharField(
        max_length=16, choices=SubscriptionState.choices, default=SubscriptionState.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="Rulings first published after this are sent."
    )
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When send_alerts last looked for new rulings for it."
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    filter_error = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why the filters no longer validate (a court or policy removed), if they don't.",
    )

    class Meta:
        ordering = ["subscriber", "query"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "query"], name="subscription_one_per_filter"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values), name="subscription_frequency_valid"
            ),
            models.CheckConstraint(
                condition=(Q(state=SubscriptionState.PENDING) & Q(confirmed_at__isnull=True))
                | (Q(state=SubscriptionState.CONFIRMED) & Q(confirmed_at__isnull=False)),
                name="subscription_confirmed_when",
            ),
        ]
        indexes = [
            # send_alerts: the confirmed subscriptions; the clean-up: old pending ones.
            models.Index(fields=["state", "created_at"], name="subscription_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber}: {self.query or 'all rulings'}"

    @property
    def is_confirmed(self) -> bool:
        return self.state == SubscriptionState.CONFIRMED


class RulingPublication(models.Model):
    """When send_alerts (or a confirmation) first saw each ruling published.

    Rulings carry no publication time of their own, and an editor may publish one through a
    form, a bulk action or a fixture; this ledger notices each of them the same way. A
    subscription is sent the rulings first seen after it was confirmed, so rulings already
    public when someone subscribed are never "new" to them.
    """

    ruling = models.OneToOneField(
        "cases.Ruling", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["first_seen_at"]

    def __str__(self) -> str:
        return f"ruling {self.ruling_id} published by {self.first_seen_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One ruling sent to one subscription, written in the transaction that sends it: the
    unique pair is what makes a ruling go out once even when two runs overlap."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    ruling = models.ForeignKey("cases.Ruling", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "ruling"], name="delivery_once_per_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"ruling {self.ruling_id} to subscription {self.subscription_id}"


# --- Corrections ---------------------------------------------------------------------------------


class CorrectionState(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Correction(models.Model):
    """A reader's suggestion that a public record is wrong, with the source that shows it.

    It points at the record (a generic relation, plus the record's name and address when it was
    sent, which stay readable if the record is renamed or deleted) and never changes it: an
    editor checks the source, edits the record if it is right, and marks the suggestion.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, help_text="The record's primary key.")
    record = GenericForeignKey("content_type", "object_id")
    record_label = models.CharField(max_length=300, help_text="The record's name when sent.")
    record_path = models.CharField(max_length=300, help_text="The record's public address.")
    what_is_wrong = models.TextField(max_length=5000)
    source = models.CharField(
        max_length=500, help_text="A link or a citation to what shows the right information."
    )
    email = models.EmailField(blank=True, help_text="For a reply only; never shown publicly.")
    submitted_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=16, choices=CorrectionState.choices, default=CorrectionState.NEW
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The editor who accepted or rejected it (set when the state changes).",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    editor_note = models.TextField(
        blank=True, help_text="What was done about it. Seen by editors only."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CorrectionState.values), name="correction_state_valid"
            ),
            # Handled exactly when accepted or rejected.
            models.CheckConstraint(
                condition=(Q(state=CorrectionState.NEW) & Q(handled_at__isnull=True))
                | (~Q(state=CorrectionState.NEW) & Q(handled_at__isnull=False)),
                name="correction_handled_when",
            ),
        ]
        indexes = [
            # The queue (newest first, by state) and the admin index's count of new ones.
            models.Index(fields=["state", "-submitted_at"], name="correction_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Correction to {self.record_label} ({self.submitted_at:%Y-%m-%d})"
