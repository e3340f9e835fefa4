"""Every published policy's status today, for the lists, the exports and the dashboard: a
lookup of the stored statuses (cases/status/store.py), so nothing is kept here between
requests and no change has to clear anything."""

from __future__ import annotations

from cases.caching import DataVersion


def statuses_today(policies, version: DataVersion | None = None) -> dict:
    """`status.summaries_for(policies)` as of today, keyed by policy id."""
    from cases.status import summaries_for

    return summaries_for(policies)
