"""Statuses stored, not recomputed on read.

`rebuild` runs the rules over every day a policy's status can change (`core.sweep`) and writes
the result as intervals: one row per stretch of days for the policy as a whole and for each
part (`StatusInterval`), and one row per state of each block (`StatusBlock`). It runs in the
same transaction as any change the status depends on (cases/status/triggers.py).

`statuses_for` and `policy_status` answer any date with indexed interval lookups, in a fixed
number of queries, and give the same `PolicyStatus` the rules would work out from scratch
(tests/test_status_store.py checks it on random edit sequences).
"""

from __future__ import annotations

import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from cases.models import (
    STILL_SO,
    Jurisdiction,
    Policy,
    PolicyPart,
    StatusBlock,
    StatusInterval,
    StatusProblem,
)
from cases.status.core import (
    Appeal,
    Block,
    Change,
    CourtFacts,
    JurisdictionFacts,
    PartFacts,
    PartStatus,
    PolicyFacts,
    PolicyStatus,
    ReachFacts,
    RulingFacts,
    StatusCode,
    _parts_of,
    _status,
    sweep,
)
from cases.status.loader import (
    court_facts_by_id,
    inputs_for,
    loop_problems,
    policy_facts,
    rulings_by_id,
)

BATCH = 20  # policies rebuilt together: bounds the memory a rebuild of every policy takes
HISTORY_LIMIT = 100  # changes listed on a policy's page, the latest first kept


# --- Writing ------------------------------------------------------------------------------------


def _reach_json(reach: ReachFacts) -> dict:
    return {
        "kind": reach.kind,
        "states": list(reach.states),
        "jurisdictions": sorted(j.id for j in reach.jurisdictions),
    }


def _block_json(block: Block) -> dict:
    return {
        "steps": [[verb, ruling.id] for verb, ruling in block.steps],
        "reach": _reach_json(block.reach),
        "ordered_reach": _reach_json(block.ordered_reach),
        "stayed_by": block.stayed_by.id if block.stayed_by else None,
        "suspended": block.suspended,
    }


def _ids(rulings: Iterable[RulingFacts]) -> list[int]:
    return [ruling.id for ruling in rulings]


def _who(blocks: Iterable[Block]) -> str:
    return "; ".join(dict.fromkeys(b.reach.describe() for b in blocks if not b.suspended))


def _part_row(part: PartStatus) -> dict:
    appeal = part.appeal
    return {
        "code": part.code.value,
        "label": part.label,
        "text": part.text,
        "reach": _who(part.blocks),
        "controlling": _ids(part.controlling),
        "detail": {
            "holdings": [[circuit, holding, r.id] for circuit, holding, r in part.holdings],
            "appeal": {
                "court": appeal.court.id,
                "from": appeal.from_ruling.id,
                "pending": appeal.pending,
            }
            if appeal
            else None,
        },
    }


def _snapshot_rows(status: PolicyStatus) -> Iterator[tuple[tuple, dict]]:
    """The rows that hold `status`, each with the key it is tracked by from day to day."""
    yield (
        ("policy",),
        {
            "code": status.code.value,
            "label": status.label,
            "text": status.headline,
            "reach": "; ".join(p.who for p in status.protections),
            "controlling": _ids(status.controlling),
        },
    )
    for part in status.every_part:
        slug = part.part.slug
        yield ("part", slug), _part_row(part)
        for block in part.blocks:
            yield ("block", slug, block.source.id), _block_json(block)


def _rows(
    facts: PolicyFacts, effects: Sequence, related: Sequence[RulingFacts]
) -> tuple[list[StatusInterval], list[StatusBlock], list[StatusProblem]]:
    decided: dict[datetime.date, list[int]] = defaultdict(list)
    for ruling in {e.ruling for e in effects} | set(related):
        decided[ruling.decided_on].append(ruling.id)
    opened: dict[tuple, tuple[datetime.date, dict]] = {}
    intervals: list[StatusInterval] = []
    blocks: list[StatusBlock] = []
    problems: dict[str, datetime.date] = {}
    last_read: list[tuple | None] = [None]  # the policy's last (code, headline) closed

    def close(key: tuple, until: datetime.date) -> None:
        since, row = opened.pop(key)
        if key[0] == "block":
            blocks.append(
                StatusBlock(
                    policy_id=facts.id,
                    part_slug=key[1],
                    source=key[2],
                    valid_from=since,
                    valid_to=until,
                    detail=row,
                )
            )
        else:
            detail = dict(row.get("detail", {}))
            is_change = False
            if key[0] == "policy":
                detail["decided"] = sorted(decided.get(since, ()))
                reads = (row["code"], row["text"])
                is_change = since > datetime.date.min and reads != last_read[0]
                last_read[0] = reads
            intervals.append(
                StatusInterval(
                    policy_id=facts.id,
                    part_slug=key[1] if key[0] == "part" else None,
                    valid_from=since,
                    valid_to=until,
                    code=row["code"],
                    label=row["label"],
                    text=row["text"],
                    reach=row["reach"],
                    controlling=row["controlling"],
                    detail=detail,
                    is_change=is_change,
                )
            )

    for day, status, warnings in sweep(facts, effects, related):
        rows = dict(_snapshot_rows(status))
        for key in [k for k in opened if k not in rows or opened[k][1] != rows[k]]:
            close(key, day)
        for key, row in rows.items():
            if key not in opened:
                opened[key] = (day, row)
        for message in warnings:
            problems.setdefault(message, day)
    for key in list(opened):
        close(key, STILL_SO)
    return (
        intervals,
        blocks,
        [StatusProblem(policy_id=facts.id, since=d, message=m) for m, d in problems.items()],
    )


FIELDS = {
    StatusInterval: (
        "part_slug", "valid_from", "valid_to", "code", "label", "text", "reach", "controlling",
        "detail", "is_change",
    ),
    StatusBlock: ("part_slug", "source", "valid_from", "valid_to", "detail"),
    StatusProblem: ("since", "message"),
}  # fmt: skip


def _stored(model, policy_ids: list[int]) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = defaultdict(list)
    for row in model.objects.filter(policy__in=policy_ids).values_list("policy_id", *FIELDS[model]):
        found[row[0]].append(_comparable(row[1:]))
    return found


def _comparable(values: Sequence) -> tuple:
    # JSON as text with sorted keys: PostgreSQL's jsonb gives keys back in its own order.
    return tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in values)


def _key(obj, model) -> tuple:
    return _comparable([getattr(obj, name) for name in FIELDS[model]])


def rebuild(policy_ids: Iterable[int] | None = None) -> int:
    """Rewrite the stored statuses of the given policies (every policy when None), in one
    transaction. A policy whose statuses come out as stored is left alone, so only a real
    change moves the public data version (and the caches keyed on it). Returns how many
    policies were looked at."""
    policies = Policy.objects.select_related("parent").order_by("pk")
    if policy_ids is not None:
        policies = policies.filter(pk__in=set(policy_ids))
    ids = list(policies.values_list("pk", flat=True))
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            # Concurrent rebuilds of a policy wait for each other, and each reads what the one
            # before it committed.
            list(Policy.objects.select_for_update().filter(pk__in=batch).values_list("pk"))
            new: dict[type, dict[int, list]] = {model: defaultdict(list) for model in FIELDS}
            loops = loop_problems()
            for facts, effects, related in inputs_for(policies.filter(pk__in=batch)).values():
                for model, rows in zip(FIELDS, _rows(facts, effects, related), strict=True):
                    new[model][facts.id] = rows
                new[StatusProblem][facts.id] += [
                    StatusProblem(policy_id=facts.id, since=datetime.date.min, message=message)
                    for message in loops
                ]
            old = {model: _stored(model, batch) for model in FIELDS}
            changed = [
                pk
                for pk in batch
                if any(
                    Counter(old[model][pk]) != Counter(_key(obj, model) for obj in new[model][pk])
                    for model in FIELDS
                )
            ]
            for model in FIELDS:
                model.objects.filter(policy__in=changed).delete()
                model.objects.bulk_create(
                    [obj for pk in changed for obj in new[model][pk]], batch_size=2000
                )
    return len(ids)


# --- Reading ------------------------------------------------------------------------------------


def _reach(data: dict, places: dict[int, JurisdictionFacts]) -> ReachFacts:
    return ReachFacts(
        data["kind"],
        tuple(data["states"]),
        frozenset(places[pk] for pk in data["jurisdictions"] if pk in places),
    )


def _block(
    source: int, data: dict, rulings: dict[int, RulingFacts], places: dict[int, JurisdictionFacts]
) -> Block | None:
    if source not in rulings:
        return None
    return Block(
        source=rulings[source],
        steps=tuple((verb, rulings[pk]) for verb, pk in data["steps"] if pk in rulings),
        reach=_reach(data["reach"], places),
        ordered_reach=_reach(data["ordered_reach"], places),
        stayed_by=rulings.get(data["stayed_by"]) if data["stayed_by"] else None,
        suspended=data["suspended"],
    )


def _part(
    part: PartFacts,
    row: StatusInterval,
    blocks: Sequence[Block],
    rulings: dict[int, RulingFacts],
    courts: dict[str, CourtFacts],
) -> PartStatus:
    appeal = row.detail.get("appeal")
    return PartStatus(
        part=part,
        code=StatusCode(row.code),
        label=row.label,
        text=row.text,
        blocks=tuple(blocks),
        controlling=tuple(rulings[pk] for pk in row.controlling if pk in rulings),
        holdings=tuple(
            (circuit, holding, rulings[pk])
            for circuit, holding, pk in row.detail.get("holdings", ())
            if pk in rulings
        ),
        appeal=Appeal(courts[appeal["court"]], rulings[appeal["from"]], appeal["pending"])
        if appeal and appeal["from"] in rulings and appeal["court"] in courts
        else None,
    )


def _history(rows: Sequence[StatusInterval], rulings: dict[int, RulingFacts]) -> tuple:
    changes, previous = [], None
    for row in rows:
        if row.valid_from == datetime.date.min or (row.code, row.text) == previous:
            continue
        previous = (row.code, row.text)
        that_day = tuple(rulings[pk] for pk in row.detail.get("decided", ()) if pk in rulings)
        changes.append(Change(row.valid_from, StatusCode(row.code), row.label, row.text, that_day))
    return tuple(changes)


def statuses_for(
    policies: Iterable[Policy],
    as_of: datetime.date | None = None,
    *,
    with_history: bool = False,
) -> dict[int, PolicyStatus]:
    """Every given policy's status on `as_of` (today if not given), keyed by policy id, read
    from the stored intervals: a fixed number of queries however many policies and rulings."""
    as_of = as_of or timezone.localdate()
    policies = list(policies)
    if not policies:
        return {}
    ids = [p.pk for p in policies]
    at = {"policy__in": ids, "valid_from__lte": as_of, "valid_to__gt": as_of}
    rows = list(StatusInterval.objects.filter(**at))
    block_rows = list(StatusBlock.objects.filter(**at).order_by("valid_from", "source"))
    history_rows: list[StatusInterval] = []
    earlier: dict[int, int] = defaultdict(int)
    if with_history:
        # The changes in reading only (rows where the policy's status reads as before, the
        # rulings behind it aside, are no change), the latest HISTORY_LIMIT of each policy.
        changes = StatusInterval.objects.filter(
            policy__in=ids, part_slug__isnull=True, valid_from__lte=as_of, is_change=True
        ).order_by("policy", "-valid_from")
        kept: dict[int, int] = defaultdict(int)
        for row in changes.defer("controlling", "reach"):
            if kept[row.policy_id] < HISTORY_LIMIT:
                kept[row.policy_id] += 1
                history_rows.append(row)
            else:
                earlier[row.policy_id] += 1
        history_rows.reverse()
    problems: dict[int, list[str]] = defaultdict(list)
    for policy_id, message in StatusProblem.objects.filter(
        policy__in=ids, since__lte=as_of
    ).values_list("policy_id", "message"):
        problems[policy_id].append(message)
    parts_of: dict[int, list[PolicyPart]] = defaultdict(list)
    for part in PolicyPart.objects.filter(policy__in=ids).order_by("position", "slug"):
        parts_of[part.policy_id].append(part)

    # Every ruling and jurisdiction the rows name, in one query each.
    wanted: set[int] = set()
    places: set[int] = set()
    for row in rows:
        wanted.update(row.controlling)
        wanted.update(pk for _, _, pk in row.detail.get("holdings", ()))
        if row.detail.get("appeal"):
            wanted.add(row.detail["appeal"]["from"])
    for row in history_rows:
        wanted.update(row.detail.get("decided", ()))
    for row in block_rows:
        wanted.add(row.source)
        wanted.update(pk for _, pk in row.detail["steps"])
        if row.detail["stayed_by"]:
            wanted.add(row.detail["stayed_by"])
        for reach in (row.detail["reach"], row.detail["ordered_reach"]):
            places.update(reach["jurisdictions"])
    courts = court_facts_by_id()
    rulings = rulings_by_id(wanted, courts)
    jurisdictions = {
        pk: JurisdictionFacts(pk, slug, name)
        for pk, slug, name in Jurisdiction.objects.filter(pk__in=places).values_list(
            "pk", "slug", "name"
        )
    }

    summary = {row.policy_id: row for row in rows if row.part_slug is None}
    part_rows = {(row.policy_id, row.part_slug): row for row in rows if row.part_slug is not None}
    blocks_of: dict[tuple[int, str], list[Block]] = defaultdict(list)
    for row in block_rows:
        block = _block(row.source, row.detail, rulings, jurisdictions)
        if block is not None:
            blocks_of[row.policy_id, row.part_slug].append(block)
    histories: dict[int, list[StatusInterval]] = defaultdict(list)
    for row in history_rows:
        histories[row.policy_id].append(row)

    result = {}
    for policy in policies:
        row = summary.get(policy.pk)
        if row is None:  # not stored yet: a policy saved in this very transaction
            continue
        facts = policy_facts(policy, parts_of[policy.pk])
        code = StatusCode(row.code)
        parts = [
            _part(
                part,
                part_rows[policy.pk, part.slug],
                blocks_of[policy.pk, part.slug],
                rulings,
                courts,
            )
            for part in _parts_of(facts)
            if (policy.pk, part.slug) in part_rows
        ]
        if parts:
            status = _status(facts, as_of, code, row.label, row.text, parts)
        else:
            status = PolicyStatus(policy.pk, as_of, code, row.label, row.text)
        result[policy.pk] = PolicyStatus(
            **{
                **status.__dict__,
                "history": _history(histories[policy.pk], rulings) if with_history else (),
                "earlier_changes": earlier[policy.pk],
                "warnings": tuple(problems[policy.pk]),
            }
        )
    return result


def summaries_for(
    policies: Iterable[Policy], as_of: datetime.date | None = None
) -> dict[int, PolicyStatus]:
    """Every given policy's code, label and headline on `as_of` (today if not given), keyed by
    policy id, in one query: what lists, filters and exports show. `statuses_for` gives the rest
    (parts, blocks, protections, circuits) that a policy's own page shows."""
    as_of = as_of or timezone.localdate()
    ids = [policy.pk for policy in policies]
    rows = StatusInterval.objects.filter(
        policy__in=ids, part_slug__isnull=True, valid_from__lte=as_of, valid_to__gt=as_of
    ).values_list("policy_id", "code", "label", "text")
    return {
        pk: PolicyStatus(pk, as_of, StatusCode(code), label, text) for pk, code, label, text in rows
    }


def stored_rows_on(as_of: datetime.date | None = None) -> QuerySet:
    """The stored status of the outer query's policy (`OuterRef("pk")`) on `as_of` (today if
    not given): at most one row, for a subquery."""
    as_of = as_of or timezone.localdate()
    return StatusInterval.objects.filter(
        policy=OuterRef("pk"), part_slug__isnull=True, valid_from__lte=as_of, valid_to__gt=as_of
    )


def with_status(policies: QuerySet, as_of: datetime.date | None = None) -> QuerySet:
    """`policies` with their status code and label on `as_of` (today if not given) as
    `status_code` and `status_label`, read in the same query (an indexed lookup per policy)."""
    on_day = stored_rows_on(as_of)
    return policies.annotate(
        status_code=Subquery(on_day.values("code")[:1]),
        status_label=Subquery(on_day.values("label")[:1]),
    )


def policy_status(policy: Policy, as_of: datetime.date | None = None) -> PolicyStatus:
    """One policy's status on `as_of` (today if not given), with its history."""
    return statuses_for([policy], as_of, with_history=True)[policy.pk]
