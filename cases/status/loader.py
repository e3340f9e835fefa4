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


def _loops(links: dict) -> list[list]:
    """Each loop in a graph where every node points to at most one other, as the nodes on it."""
    loops, done = [], set()
    for start in links:
        path, seen = [], set()
        node = start
        while node is not None and node not in done and node not in seen:
            seen.add(node)
            path.append(node)
            node = links.get(node)
        if node in seen:
            loops.append(path[path.index(node) :])
        done |= seen
    return loops


def loop_problems() -> list[str]:
    """Loops in appeal routes or review chains (the database refuses them, but a restore or a
    change in SQL could bring one back): the rules cut each loop, and editors are told."""
    routes = dict(Court.objects.filter(appeals_to__isnull=False).values_list("pk", "appeals_to"))
    reviews = dict(Ruling.objects.filter(reviews__isnull=False).values_list("pk", "reviews"))
    problems = [
        "The appeal route loops: " + " → ".join(loop + loop[:1]) + "; the status rules cut it "
        "where it meets itself. Fix the courts' 'appeals to'."
        for loop in _loops(routes)
    ]
    problems += [
        "The review chain loops: rulings "
        + " → ".join(str(pk) for pk in loop + loop[:1])
        + "; the status rules ignore the link that closes it. Fix the rulings' 'reviews'."
        for loop in _loops(reviews)
    ]
    return problems


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


def _ruling_facts(
    rulings: dict[int, Ruling], courts: dict[str, CourtFacts]
) -> dict[int, RulingFacts]:
    """The facts of the given rulings, with their published lawsuits (two queries)."""
    published = PublicationState.PUBLISHED
    links = list(
        Ruling.lawsuits.through.objects.filter(
            ruling_id__in=rulings, lawsuit__publication_state=published
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
    return {
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
        for pk, r in rulings.items()
    }


def rulings_by_id(ids: Iterable[int], courts: dict[str, CourtFacts]) -> dict[int, RulingFacts]:
    """The facts of the given (published) rulings, keyed by id, in three queries at most."""
    ids = set(ids)
    if not ids:
        return {}
    rows = Ruling.objects.filter(pk__in=ids, publication_state=PublicationState.PUBLISHED)
    return _ruling_facts({r.pk: r for r in rows}, courts)


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


def inputs_for(
    policies: Iterable[Policy],
) -> dict[int, tuple[PolicyFacts, list[EffectFacts], list[RulingFacts]]]:
    """What the rules read for each given policy, keyed by policy id: the policy, its effects
    and the other rulings that matter to it (those reviewing one of its rulings, however far
    up the chain).

    A fixed number of queries however many policies: the courts, the parts, the effects with
    their rulings, the effects' parts and protected jurisdictions, every published ruling that
    reviews another, the rulings' lawsuits and those lawsuits' state.
    """
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
    facts = _ruling_facts(ruling_rows, courts)
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
        result[policy.pk] = (
            policy_facts(policy, parts_of[policy.pk]),
            effects,
            [facts[pk] for pk in related],
        )
    return result


def computed_statuses(
    policies: Iterable[Policy],
    as_of: datetime.date | None = None,
    *,
    with_history: bool = False,
) -> dict[int, PolicyStatus]:
    """Every given policy's status on `as_of` (today if not given), worked out from the rulings
    now: the reference the stored statuses are checked against (`statuses_for` reads those)."""
    as_of = as_of or timezone.localdate()
    return {
        pk: derive(facts, effects, as_of, related, with_history=with_history)
        for pk, (facts, effects, related) in inputs_for(policies).items()
    }
