"""Every published policy's status today, for the lists, the exports and the dashboard.

A thin layer over `cases.status`: the statuses are computed there from the rulings and kept
here until the data next changes or the day ends (one computation serves every page). When
statuses are stored in the database, these two functions become a lookup and the cache goes.
"""

from __future__ import annotations

from django.utils import timezone

from cases.caching import DataVersion, until_next_change


def _every_status_today(version: DataVersion | None) -> tuple[dict, dict]:
    """Every published policy's status today, by id and by slug."""
    from cases.models import Policy
    from cases.status import statuses_for

    def build() -> tuple[dict, dict]:
        policies = list(Policy.objects.published())
        statuses = statuses_for(policies)
        return statuses, {policy.slug: statuses[policy.pk] for policy in policies}

    return until_next_change(version, f"statuses:{timezone.localdate().isoformat()}", build)


def statuses_today(policies, version: DataVersion | None = None) -> dict:
    """`status.statuses_for(policies)` as of today, keyed by policy id."""
    from cases.status import statuses_for

    policies = list(policies)
    by_pk, _ = _every_status_today(version)
    missing = [policy for policy in policies if policy.pk not in by_pk]  # unpublished ones
    found = {policy.pk: by_pk[policy.pk] for policy in policies if policy.pk in by_pk}
    return found | (statuses_for(missing) if missing else {})


def policy_statuses_today(version: DataVersion | None = None) -> dict:
    """Every published policy's status today, keyed by slug."""
    return _every_status_today(version)[1]
