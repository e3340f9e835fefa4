"""Reads from the database the facts the status rules need (`core`), for any number of
policies in a fixed number of queries. Only published rulings count, and only what editors
recorded: who a block protects is the effect's stated reach, never the lawsuit's plaintiffs."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max, Q
from django.utils import timezone

from cases.models import (
    Court,
    Lawsuit,
    LawsuitStatus,
    Policy,
    PolicyPart,
    PublicationState,
    Reach,
    Ruling,
    RulingEffect,
)
from cases.status.core import (
    CourtFacts,
    EffectFacts,
    JurisdictionFacts,
    LawsuitFacts,
    PartFacts,
    PolicyFacts,
    PolicyStatus,
    ReachFacts,
    RulingFacts,
    derive,
)


def policy_status(policy: Policy, as_of: datetime.date | None = None) -> PolicyStatus:
    """One policy's status on `as_of` (today if not given), with its history."""
    return statuses_for([policy], as_of, with_history=True)[policy.pk]


def court_facts_by_id() -> dict[str, CourtFacts]:
    """Every court with its appeal route, in one query. A route that loops (bad data) is cut
    where it meets itself, so no reader of the facts can recurse forever."""
    values = Court.objects.values_list("pk", "citation_string", "level", "appeals_to_id")
    rows = {pk: (citation, level, parent) for pk, citation, level, parent in values}
    facts: dict[str, CourtFacts] = {}

    def build(pk: str, seen: frozenset[str]) -> CourtFacts:
        if pk in facts:
            return facts[pk]
        citation, level, parent = rows[pk]
        above = build(parent, seen | {pk}) if parent and parent not in seen | {pk} else None
        facts[pk] = CourtFacts(pk, citation, level, above)
        return facts[pk]

    for pk in rows:
        build(pk, frozenset())
    return facts


def policy_facts(policy: Policy, parts: Iterable[PolicyPart] = ()) -> PolicyFacts:
    parent = policy.parent
    return PolicyFacts(
        id=policy.pk,
        issued_on=policy.issued_on,
        issued_on_precision=policy.issued_on_precision,
        kind=policy.kind,
        ended_on=policy.ended_on,
        end_kind=policy.end_kind,
        ended_by=policy.ended_by,
        parts=tuple(PartFacts(p.slug, p.name) for p in parts),
        parent_title=parent.short_title if parent else "",
        parent_ended_on=parent.ended_on if parent and parent.is_published else None,
        parent_ended_by=parent.ended_by if parent else "",
    )


def statuses_for(
    policies: Iterable[Policy],
    as_of: datetime.date | None = None,
    *,
    with_history: bool = False,
) -> dict[int, PolicyStatus]:
    """Every given policy's status on `as_of` (today if not given), keyed by policy id.

    A fixed number of queries however many policies: the courts, the parts, the effects with
    their rulings, the effects' parts and protected jurisdictions, every published ruling that
    reviews another, the rulings' lawsuits and those lawsuits' state.
    """
    as_of = as_of or timezone.localdate()
    policies = list(policies)
    if not policies:
        return {}
    published = PublicationState.PUBLISHED
    courts = court_facts_by_id()
    parents = {
        p.pk: p
        for p in Policy.objects.filter(pk__in={p.parent_id for p in policies if p.parent_id})
    }
    for policy in policies:
        if policy.parent_id:
            policy.parent = parents[policy.parent_id]
    parts_of: dict[int, list[PolicyPart]] = defaultdict(list)
    for part in PolicyPart.objects.filter(policy__in=[p.pk for p in policies]).order_by(
        "position", "slug"
    ):
        parts_of[part.policy_id].append(part)

    effect_rows = list(
        RulingEffect.objects.filter(
            policy__in=[p.pk for p in policies], ruling__publication_state=published
        ).select_related("ruling")
    )
    effect_ids = [row.pk for row in effect_rows]
    part_slugs: dict[int, set[str]] = defaultdict(set)
    for effect_id, slug in RulingEffect.parts.through.objects.filter(
        rulingeffect_id__in=effect_ids
    ).values_list("rulingeffect_id", "policypart__slug"):
        part_slugs[effect_id].add(slug)
    protected: dict[int, set[JurisdictionFacts]] = defaultdict(set)
    for effect_id, j_id, slug, name in RulingEffect.protected.through.objects.filter(
        rulingeffect_id__in=effect_ids
    ).values_list("rulingeffect_id", "jurisdiction_id", "jurisdiction__slug", "jurisdiction__name"):
        protected[effect_id].add(JurisdictionFacts(j_id, slug, name))

    review_rows = list(Ruling.objects.filter(publication_state=published, reviews__isnull=False))
    ruling_rows = {row.ruling.pk: row.ruling for row in effect_rows} | {
        r.pk: r for r in review_rows
    }
    links = list(
        Ruling.lawsuits.through.objects.filter(
            ruling_id__in=ruling_rows, lawsuit__publication_state=published
        ).values_list("ruling_id", "lawsuit_id")
    )
    suits: dict[int, LawsuitFacts] = {}
    suit_ids = {suit_id for _, suit_id in links}
    if suit_ids:
        last_published = Max("rulings__decided_on", filter=Q(rulings__publication_state=published))
        for suit_id, caption, status, last in (
            Lawsuit.objects.filter(pk__in=suit_ids)
            .annotate(last=last_published)
            .values_list("pk", "caption", "status", "last")
        ):
            suits[suit_id] = LawsuitFacts(suit_id, caption, status == LawsuitStatus.ON_APPEAL, last)
    suits_of: dict[int, list[LawsuitFacts]] = defaultdict(list)
    for ruling_id, suit_id in links:
        suits_of[ruling_id].append(suits[suit_id])

    facts = {
        pk: RulingFacts(
            id=pk,
            court=courts[r.court_id],
            decided_on=r.decided_on,
            kind=r.kind,
            outcome=r.outcome,
            reviews_id=r.reviews_id,
            disposition=r.disposition,
            lawsuits=tuple(sorted(suits_of[pk], key=lambda s: s.id)),
        )
        for pk, r in ruling_rows.items()
    }
    reviewers: dict[int, list[int]] = defaultdict(list)
    for r in review_rows:
        reviewers[r.reviews_id].append(r.pk)
    effects_of: dict[int, list[EffectFacts]] = defaultdict(list)
    for row in effect_rows:
        reach = ReachFacts(
            row.reach or Reach.NOBODY, tuple(row.states.split()), frozenset(protected[row.pk])
        )
        effects_of[row.policy_id].append(
            EffectFacts(
                ruling=facts[row.ruling_id],
                effect=row.effect,
                parts=frozenset(part_slugs[row.pk]),
                reach=reach,
                stays_id=row.stays_ruling_id,
                stay_ends_on=row.stay_ends_on,
                holding=row.holding,
                detail=row.detail,
            )
        )

    result = {}
    for policy in policies:
        effects = effects_of[policy.pk]
        # Every ruling that reviews one of this policy's rulings, however far up the chain.
        todo, related = [e.ruling.id for e in effects], set()
        while todo:
            for reviewer in reviewers[todo.pop()]:
                if reviewer not in related:
                    related.add(reviewer)
                    todo.append(reviewer)
        result[policy.pk] = derive(
            policy_facts(policy, parts_of[policy.pk]),
            effects,
            as_of,
            [facts[pk] for pk in related],
            with_history=with_history,
        )
    return result
