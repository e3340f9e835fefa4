"""Counters in Django's cache that limit how often a client or an email address may act.

With the default per-process memory cache each gunicorn worker counts on its own (a client
gets at most `limit` per worker); a shared cache (Redis) makes the limits exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # at most this many ...
    seconds: int  # ... in this many seconds

    def allows(self, identity: str) -> bool:
        """Count one more use by `identity`; False once it has used up its allowance."""
        digest = hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        key = f"readers:limit:{self.name}:{digest}"
        cache.add(key, 0, self.seconds)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, self.seconds)
            used = 1
        return used <= self.count


HOUR = 60 * 60
# Subscribing (and asking for one's manage link): per client address, and per email address so
# no one can fill a stranger's inbox with confirmation requests.
SUBSCRIBE_PER_CLIENT = Limit("subscribe-client", 20, HOUR)
SUBSCRIBE_PER_EMAIL = Limit("subscribe-email", 6, HOUR)
# Suggesting corrections, per client address.
CORRECTIONS_PER_CLIENT = Limit("correction-client", 5, HOUR)
