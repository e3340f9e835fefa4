"""Signed links in alert emails (django.core.signing, one salt per purpose).

A token names a subscription or a subscriber by its key, never by its email address, so the
address is not readable in a link. Keys are never reused (both databases hand out increasing
ids), so a link to something deleted stays dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from readers.models import Frequency

CONFIRM_SALT = "readers.confirm"
UNSUBSCRIBE_SALT = "readers.unsubscribe"
MANAGE_SALT = "readers.manage"
# A confirmation link works for a week; pending subscriptions older than that are deleted.
CONFIRM_MAX_AGE = 7 * 24 * 60 * 60


class BadToken(Exception):
    """The link was altered, is not one of ours, or has expired."""


@dataclass(frozen=True)
class Confirmation:
    subscription_id: int
    frequency: str


def confirm_token(subscription_id: int, frequency: str) -> str:
    return signing.dumps({"s": subscription_id, "f": frequency}, salt=CONFIRM_SALT)


def read_confirm_token(token: str) -> Confirmation:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        confirmation = Confirmation(int(data["s"]), str(data["f"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken from None
    if confirmation.frequency not in Frequency.values:
        raise BadToken
    return confirmation


def unsubscribe_token(subscription_id: int) -> str:
    return signing.dumps(subscription_id, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int:
    return _read_key(token, UNSUBSCRIBE_SALT)


def manage_token(subscriber_id: int) -> str:
    return signing.dumps(subscriber_id, salt=MANAGE_SALT)


def read_manage_token(token: str) -> int:
    return _read_key(token, MANAGE_SALT)


def _read_key(token: str, salt: str) -> int:
    try:
        value = signing.loads(token, salt=salt)
    except signing.BadSignature:
        raise BadToken from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadToken
    return value
