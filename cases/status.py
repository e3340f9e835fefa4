"""Each policy's legal status on a given day, derived from its rulings (DESIGN.md, principle 4).

Nobody types a status. It is computed from the published rulings' effects on the policy and from
the way the rulings review one another. The module has three layers:

* plain frozen facts (`PolicyFacts`, `RulingFacts`, `EffectFacts`, ...) holding only what the rules
  read;
* `derive(policy, effects, as_of, rulings=())`: the rules themselves, pure, table-tested without a
  database;
* `statuses_for(policies, as_of)` and `policy_status(policy, as_of)`: the only code that reads the
  database, in the same number of queries however many policies are asked for.

The rules
---------
1. Time. Only published rulings decided on or before `as_of` count. Before the policy's issue date
   the status is "not yet issued". From its end date on (revoked, superseded, expired) it is
   "ended" whatever the courts did; the headline and the history keep the last court status.
2. Review. A ruling that `reviews` another, and is itself still good law:
   - with disposition *reversed* or *vacated* removes the reviewed ruling and all it did;
   - if it *reverses* a ruling that had affirmed (wholly or in part), what was affirmed falls
     too. *Vacating* an affirmance does not reach down: the lower ruling stands again, as when an
     en banc court vacates a panel opinion or the Supreme Court vacates and remands;
   - with *affirmed*, *dismissed*, *affirmed in part*, *vacated in part* or no disposition, the
     reviewed ruling stays; the reviewing ruling's own effect (say `narrows_block`) says what
     remains.
   Good law is worked out from the latest ruling back, so a reversal that is itself reversed or
   vacated revives the ruling it had undone.
3. Effects, applied in date order (a reviewed ruling before its reviewer on the same day). Blocks
   are tracked one per source ruling.
   - `blocks` starts a block: nationwide if the ruling's scope is nationwide, otherwise for the
     effect's `protected` jurisdictions (if none are recorded, the plaintiffs of the ruling's
     lawsuits). It replaces the blocks of the ruling it reviews and the earlier blocks of the same
     court in the same lawsuit (a permanent injunction takes the place of the preliminary one).
   - `keeps_block` changes nothing; the ruling joins the rulings that control the block.
   - `narrows_block` limits the block to the effect's protected jurisdictions.
   - `lifts_block` and `upholds` end the blocks the ruling's court controls: its own blocks, a
     court of appeals' also those of its district courts, the Supreme Court's every block. A
     district court only ends blocks in the same lawsuit. A block from another circuit stands:
     when one circuit upholds the policy and another circuit's block reaches nationwide, the
     policy is still blocked nationwide, and the headline names the conflicting ruling.
   - `declines` changes nothing.
   - A ruling of kind "stay" never ends a block. With `lifts_block` it suspends the block, with
     `narrows_block` it suspends it except for the protected jurisdictions, with `keeps_block` (a
     stay refused) it confirms it. The stay lasts until a later ruling reviews the stayed ruling
     (the appeal is decided) or a new block replaces the stayed one. Free text such as "stayed
     when entered" in an effect's `detail` is never read; `warnings` points it out instead.
   A ruling that reviews another acts on the blocks that ruling shaped; one that reviews nothing
   (or whose reviewed ruling left no block) acts on the blocks its court controls in the same
   lawsuit.
4. Status. A block reaching nationwide makes "blocked nationwide"; else a block for some
   jurisdictions makes "blocked for some jurisdictions" (`protected` is their union); else a
   block suspended by a stay makes "block stayed"; else a good-law ruling that upholds the policy,
   or lifts a block for the government, makes "upheld"; else "in force".
5. Appeals. The tracker records no notices of appeal, so an appeal is only reported on evidence:
   a published ruling decided after `as_of` that reviews a controlling ruling, or a lawsuit marked
   "on appeal" whose latest ruling is the controlling one. The notice date is unknown, so the
   appeal is called pending only once the time to take it had run out (60 days in a case with the
   United States as a party, FRAP 4(a)(1)(B); 45 for rehearing; 90 for certiorari). Before that,
   the headline says the ruling was appealed and that the notice date is not recorded.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    CourtLevel,
    DatePrecision,
    Disposition,
    Effect,
    Lawsuit,
    LawsuitStatus,
    Policy,
    PolicyEnd,
    PublicationState,
    Ruling,
    RulingEffect,
    RulingKind,
    RulingOutcome,
    RulingScope,
)


class StatusCode(models.TextChoices):
    NOT_YET_ISSUED = "not_yet_issued", "Not yet issued"
    IN_FORCE = "in_force", "In force"
    BLOCKED_NATIONWIDE = "blocked_nationwide", "Blocked nationwide"
    BLOCKED_PARTLY = "blocked_partly", "Blocked for some jurisdictions"
    BLOCK_STAYED = "block_stayed", "In force: block stayed"
    UPHELD = "upheld", "Upheld"
    ENDED = "ended", "Ended"


# --- Facts: what the rules read ----------------------------------------------------------------


@dataclass(frozen=True)
class CourtFacts:
    id: str
    citation: str
    level: str
    appeals_to: CourtFacts | None = None

    def __str__(self) -> str:
        """'N.D. Cal.', '9th Cir.', 'Supreme Court'."""
        return "Supreme Court" if self.level == CourtLevel.SUPREME else self.citation

    def controls(self, other: CourtFacts) -> bool:
        """Whether this court's ruling binds a block that `other` issued."""
        if self.id == other.id or self.level == CourtLevel.SUPREME:
            return True
        parent = other.appeals_to.id if other.appeals_to else None
        return self.level == CourtLevel.APPELLATE and parent == self.id


@dataclass(frozen=True)
class JurisdictionFacts:
    id: int
    slug: str
    name: str

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cases:jurisdiction-detail", kwargs={"slug": self.slug})


@dataclass(frozen=True)
class LawsuitFacts:
    id: int
    plaintiffs: frozenset[JurisdictionFacts] = frozenset()
    on_appeal: bool = False
    last_ruling_on: datetime.date | None = None


RULING_NOUNS = {
    RulingKind.TRO: "temporary restraining order",
    RulingKind.PRELIMINARY_INJUNCTION: "preliminary injunction",
    RulingKind.PERMANENT_INJUNCTION: "permanent injunction",
    RulingKind.SUMMARY_JUDGMENT: "summary judgment",
    RulingKind.DISMISSAL: "dismissal",
    RulingKind.STAY: "order on a stay",
    RulingKind.APPELLATE_OPINION: "opinion",
    RulingKind.EN_BANC_ORDER: "en banc order",
    RulingKind.EN_BANC_OPINION: "en banc opinion",
    RulingKind.SUPREME_COURT: "decision",
}


@dataclass(frozen=True)
class RulingFacts:
    id: int
    court: CourtFacts
    decided_on: datetime.date
    kind: str
    outcome: str = RulingOutcome.CHALLENGERS
    scope: str = RulingScope.NATIONWIDE
    reviews_id: int | None = None
    disposition: str = Disposition.NONE
    lawsuits: tuple[LawsuitFacts, ...] = ()

    def __str__(self) -> str:
        """'the N.D. Cal. permanent injunction of 20 Nov 2017'."""
        noun = RULING_NOUNS.get(self.kind, "order")
        return f"the {self.court} {noun} of {format_day(self.decided_on)}"

    def get_absolute_url(self) -> str:
        return reverse("cases:ruling-detail", kwargs={"pk": self.id})

    @property
    def lawsuit_ids(self) -> frozenset[int]:
        return frozenset(lawsuit.id for lawsuit in self.lawsuits)

    @property
    def plaintiffs(self) -> frozenset[JurisdictionFacts]:
        return frozenset().union(*(lawsuit.plaintiffs for lawsuit in self.lawsuits))


@dataclass(frozen=True)
class EffectFacts:
    ruling: RulingFacts
    effect: str
    protected: frozenset[JurisdictionFacts] = frozenset()
    detail: str = ""


@dataclass(frozen=True)
class PolicyFacts:
    id: int
    issued_on: datetime.date
    issued_on_precision: str = DatePrecision.DAY
    ended_on: datetime.date | None = None
    end_kind: str = ""
    ended_by: str = ""

    @classmethod
    def from_policy(cls, policy: Policy) -> PolicyFacts:
        return cls(
            id=policy.pk,
            issued_on=policy.issued_on,
            issued_on_precision=policy.issued_on_precision,
            ended_on=policy.ended_on,
            end_kind=policy.end_kind,
            ended_by=policy.ended_by,
        )


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One block in force, from its source ruling; `steps` says who shaped it, in order."""

    source: RulingFacts
    steps: tuple[tuple[str, RulingFacts], ...]  # ("blocked by", source), ("affirmed by", ...)
    nationwide: bool  # its reach now, after any narrowing and any partial stay
    protected: tuple[JurisdictionFacts, ...]  # whom it protects when not nationwide
    stayed_by: RulingFacts | None = None
    suspended: bool = False  # wholly suspended by `stayed_by`

    @property
    def rulings(self) -> tuple[RulingFacts, ...]:
        return tuple(ruling for _, ruling in self.steps)


@dataclass(frozen=True)
class Appeal:
    court: CourtFacts
    from_ruling: RulingFacts
    pending: bool  # the time to take it had run out by as_of, so it was surely pending then


@dataclass(frozen=True)
class Change:
    """A point in the history where the status changed."""

    date: datetime.date
    code: StatusCode
    label: str
    headline: str
    rulings: tuple[RulingFacts, ...]  # the rulings decided that day


@dataclass(frozen=True)
class PolicyStatus:
    policy_id: int
    as_of: datetime.date
    code: StatusCode
    label: str
    headline: str
    controlling: tuple[RulingFacts, ...] = ()
    protected: tuple[JurisdictionFacts, ...] = ()
    blocks: tuple[Block, ...] = ()
    appeal: Appeal | None = None
    conflicts: tuple[RulingFacts, ...] = ()  # rulings upholding the policy while it is blocked
    history: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()  # oddities in the records, for editors

    @property
    def is_blocked(self) -> bool:
        return self.code in {StatusCode.BLOCKED_NATIONWIDE, StatusCode.BLOCKED_PARTLY}


# --- Wording ------------------------------------------------------------------------------------


def format_day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _format_issued(policy: PolicyFacts) -> str:
    if policy.issued_on_precision == DatePrecision.YEAR:
        return f"{policy.issued_on:%Y}"
    if policy.issued_on_precision == DatePrecision.MONTH:
        return f"{policy.issued_on:%b %Y}"
    return format_day(policy.issued_on)


def _names(jurisdictions: Iterable[JurisdictionFacts]) -> str:
    names = sorted(j.name for j in jurisdictions)
    if not names:
        return "jurisdictions not recorded"
    if len(names) > 4:
        return f"{len(names)} jurisdictions"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _sorted(jurisdictions: Iterable[JurisdictionFacts]) -> tuple[JurisdictionFacts, ...]:
    return tuple(sorted(jurisdictions, key=lambda j: (j.name, j.id)))


def _story(block: Block) -> str:
    return ", ".join([str(block.source)] + [f"{verb} {ruling}" for verb, ruling in block.steps[1:]])


# --- The rules ----------------------------------------------------------------------------------

UNDOING = {Disposition.REVERSED, Disposition.VACATED}
AFFIRMING = {Disposition.AFFIRMED, Disposition.AFFIRMED_IN_PART}
APPEAL_DAYS = {"appeal": 60, "rehearing": 45, "certiorari": 90}
STAYED_WORDING = re.compile(r"\bstayed\b", re.IGNORECASE)


def _undone(rulings: Mapping[int, RulingFacts], as_of: datetime.date) -> dict[int, RulingFacts]:
    """Each ruling that is no longer good law on `as_of`, with the ruling that undid it."""
    reviewers: dict[int, list[RulingFacts]] = defaultdict(list)
    for ruling in sorted(rulings.values(), key=lambda r: (r.decided_on, r.id)):
        if ruling.reviews_id is not None and ruling.decided_on <= as_of:
            reviewers[ruling.reviews_id].append(ruling)
    memo: dict[int, RulingFacts | None] = {}
    visiting: set[int] = set()  # guards against a review cycle in bad data

    def reversal(ruling_id: int) -> RulingFacts | None:
        """A good-law reversal of this ruling, directly or through rulings affirming it."""
        for z in reviewers[ruling_id]:
            if z.id in visiting:
                continue
            if z.disposition == Disposition.REVERSED and undone_by(z.id) is None:
                return z
            if z.disposition in AFFIRMING and (found := reversal(z.id)):
                return found
        return None

    def undone_by(ruling_id: int) -> RulingFacts | None:
        if ruling_id in memo:
            return memo[ruling_id]
        visiting.add(ruling_id)
        found = None
        for z in reviewers[ruling_id]:
            if z.id in visiting:
                continue
            if z.disposition in UNDOING and undone_by(z.id) is None:
                found = z
            elif z.disposition in AFFIRMING:
                found = reversal(z.id)
            if found:
                break
        visiting.discard(ruling_id)
        memo[ruling_id] = found
        return found

    return {rid: killer for rid in rulings if (killer := undone_by(rid))}


@dataclass
class _Block:
    source: RulingFacts
    nationwide: bool
    protected: frozenset[JurisdictionFacts]
    steps: list[tuple[str, RulingFacts]]
    stayed_by: RulingFacts | None = None
    stay_leaves: frozenset[JurisdictionFacts] | None = None  # None: wholly suspended

    def ids(self) -> set[int]:
        return {ruling.id for _, ruling in self.steps}

    def freeze(self) -> Block:
        nationwide, protected = self.nationwide, self.protected
        if self.stayed_by and self.stay_leaves is not None:
            nationwide = False
            protected = self.stay_leaves if self.nationwide else self.protected & self.stay_leaves
        return Block(
            source=self.source,
            steps=tuple(self.steps),
            nationwide=nationwide,
            protected=_sorted(protected),
            stayed_by=self.stayed_by,
            suspended=bool(self.stayed_by) and self.stay_leaves is None,
        )


@dataclass
class _Court:
    """The courts' position on one day: what the good-law rulings add up to."""

    blocks: dict[int, _Block] = field(default_factory=dict)
    upholders: list[RulingFacts] = field(default_factory=list)
    notes: list[tuple[datetime.date, str]] = field(default_factory=list)  # for "in force"
    warnings: list[str] = field(default_factory=list)


def _depth(ruling: RulingFacts, rulings: Mapping[int, RulingFacts]) -> int:
    depth, seen = 0, {ruling.id}
    while ruling.reviews_id in rulings and ruling.reviews_id not in seen:
        ruling = rulings[ruling.reviews_id]
        seen.add(ruling.id)
        depth += 1
    return depth


def _court_position(
    effects: Mapping[int, EffectFacts], rulings: Mapping[int, RulingFacts], at: datetime.date
) -> _Court:
    court = _Court()
    undone = _undone(rulings, at)
    for ruling_id, killer in undone.items():
        effect = effects.get(ruling_id)
        if effect and effect.effect == Effect.BLOCKS and killer.decided_on <= at:
            verb = "reversed" if killer.disposition == Disposition.REVERSED else "vacated"
            court.notes.append((killer.decided_on, f"{effect.ruling} was {verb} by {killer}"))
    timeline = sorted(
        (r for r in rulings.values() if r.decided_on <= at and r.id not in undone),
        key=lambda r: (r.decided_on, _depth(r, rulings), r.id),
    )
    for ruling in timeline:
        _apply(court, ruling, effects.get(ruling.id))
    return court


def _apply(court: _Court, ruling: RulingFacts, effect: EffectFacts | None) -> None:
    blocks = court.blocks
    is_stay = ruling.kind == RulingKind.STAY
    # A decision on review ends a stay pending that review.
    if ruling.reviews_id is not None and not is_stay:
        for block in blocks.values():
            if block.stayed_by and ruling.reviews_id in block.ids() - {block.stayed_by.id}:
                block.steps = [step for step in block.steps if step[1] != block.stayed_by]
                block.stayed_by, block.stay_leaves = None, None
    if effect is None:
        return
    kind = effect.effect
    chain = [b for b in blocks.values() if ruling.reviews_id in b.ids()]
    mine = [b for b in blocks.values() if ruling.court.controls(b.source.court)]
    same_suit = [b for b in mine if b.source.lawsuit_ids & ruling.lawsuit_ids]
    protected = effect.protected or ruling.plaintiffs

    if kind == Effect.BLOCKS:
        nationwide = ruling.scope == RulingScope.NATIONWIDE
        if nationwide and effect.protected:
            court.warnings.append(
                f"Ruling {ruling.id} blocks nationwide but lists protected jurisdictions; "
                "they are ignored."
            )
        if not nationwide and not protected:
            court.warnings.append(
                f"Ruling {ruling.id} blocks for some jurisdictions but names none."
            )
        replaced = chain + [b for b in same_suit if b.source.court.id == ruling.court.id]
        for block in replaced:
            blocks.pop(block.source.id, None)
        blocks[ruling.id] = _Block(
            ruling, nationwide, frozenset() if nationwide else protected, [("blocked by", ruling)]
        )
    elif kind in {Effect.UPHOLDS, Effect.LIFTS_BLOCK} and not is_stay:
        reach = mine if ruling.court.level != CourtLevel.DISTRICT else same_suit
        for block in {id(b): b for b in chain + reach}.values():
            blocks.pop(block.source.id, None)
            court.notes.append((ruling.decided_on, f"{block.source} was lifted by {ruling}"))
        if kind == Effect.UPHOLDS or ruling.outcome == RulingOutcome.GOVERNMENT:
            court.upholders.append(ruling)
    elif kind in {Effect.KEEPS_BLOCK, Effect.NARROWS_BLOCK, Effect.LIFTS_BLOCK}:
        targets = chain or same_suit
        if not targets:
            court.warnings.append(
                f"Ruling {ruling.id} is recorded as '{kind}' but no block it could act on "
                "was in force."
            )
        for block in targets:
            if is_stay and kind == Effect.LIFTS_BLOCK:
                block.stayed_by, block.stay_leaves = ruling, None
                block.steps.append(("stayed by", ruling))
            elif is_stay and kind == Effect.NARROWS_BLOCK:
                block.stayed_by, block.stay_leaves = ruling, protected
                block.steps.append((f"stayed except for {_names(protected)} by", ruling))
            elif kind == Effect.NARROWS_BLOCK and (
                block.nationwide or block.protected != protected
            ):
                block.nationwide, block.protected = False, protected
                block.steps.append(("narrowed by", ruling))
            else:
                block.steps.append((_confirming_verb(ruling), ruling))
    elif kind == Effect.DECLINES:
        court.notes.append((ruling.decided_on, f"{ruling} declined to block it"))


def _confirming_verb(ruling: RulingFacts) -> str:
    return {
        Disposition.AFFIRMED: "affirmed by",
        Disposition.AFFIRMED_IN_PART: "affirmed in part by",
        Disposition.VACATED_IN_PART: "upheld in part by",
    }.get(ruling.disposition, "kept in force by")


@dataclass(frozen=True)
class _Snapshot:
    code: StatusCode
    label: str
    headline: str
    controlling: tuple[RulingFacts, ...] = ()
    protected: tuple[JurisdictionFacts, ...] = ()
    blocks: tuple[Block, ...] = ()
    appeal: Appeal | None = None
    conflicts: tuple[RulingFacts, ...] = ()

    def key(self) -> tuple:
        """What a reader would call a change: code, reach, or the rulings behind them."""
        blocks = tuple(
            (b.nationwide, b.suspended, tuple(j.id for j in b.protected), b.rulings)
            for b in self.blocks
        )
        return (self.code, blocks, self.controlling, self.conflicts)


def _court_snapshot(
    court: _Court, rulings: Mapping[int, RulingFacts], at: datetime.date
) -> _Snapshot:
    blocks = tuple(b.freeze() for b in court.blocks.values())
    live = [b for b in blocks if not b.suspended]
    nationwide = [b for b in live if b.nationwide]
    partial = [b for b in live if not b.nationwide]
    if live:
        main, others = (nationwide, partial) if nationwide else (partial, [])
        controlling = tuple(sorted({r for b in main for r in b.rulings}, key=_by_date))
        conflicts = tuple(
            u
            for u in court.upholders
            if not any(
                r.court.controls(u.court) and r.decided_on >= u.decided_on
                for b in live
                for r in b.rulings
            )
        )
        appeal = _appeal(controlling, rulings, at)
        if nationwide:
            code = StatusCode.BLOCKED_NATIONWIDE
            text = "Blocked nationwide by " + "; and by ".join(_story(b) for b in main)
            protected: tuple[JurisdictionFacts, ...] = ()
        else:
            code = StatusCode.BLOCKED_PARTLY
            text = "Blocked " + "; and ".join(
                f"for {_names(b.protected)} by {_story(b)}" for b in main
            )
            protected = _sorted({j for b in main for j in b.protected})
        for block in others:
            text += f"; also blocked for {_names(block.protected)} by {_story(block)}"
        for ruling in conflicts:
            text += f"; {ruling} upheld it (conflicting rulings)"
        text = _sentence(text + _appeal_wording(appeal))
        return _Snapshot(code, code.label, text, controlling, protected, blocks, appeal, conflicts)
    if blocks:
        controlling = tuple(sorted({r for b in blocks for r in b.rulings}, key=_by_date))
        stays = sorted({b.stayed_by for b in blocks if b.stayed_by}, key=_by_date)
        text = "In force: " + "; and ".join(
            f"{b.source} is stayed by {b.stayed_by}" for b in blocks
        )
        code = StatusCode.BLOCK_STAYED
        appeal = _appeal(tuple(stays), rulings, at)
        text = _sentence(text + _appeal_wording(appeal))
        return _Snapshot(code, code.label, text, controlling, (), blocks, appeal)
    if court.upholders:
        controlling = tuple(sorted(court.upholders, key=_by_date))
        latest = controlling[-1]
        text = f"Upheld by {latest}"
        reviewed = rulings.get(latest.reviews_id)
        if reviewed and latest.disposition in UNDOING:
            text += f", which {latest.disposition} {reviewed}"
        appeal = _appeal((latest,), rulings, at)
        text = _sentence(text + _appeal_wording(appeal))
        return _Snapshot(
            StatusCode.UPHELD, StatusCode.UPHELD.label, text, controlling, (), (), appeal
        )
    note = max(court.notes, key=lambda n: n[0])[1] if court.notes else "no court has blocked it"
    return _Snapshot(StatusCode.IN_FORCE, StatusCode.IN_FORCE.label, _sentence(f"In force; {note}"))


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _by_date(ruling: RulingFacts) -> tuple[datetime.date, int]:
    return (ruling.decided_on, ruling.id)


def _appeal(
    controlling: Sequence[RulingFacts], rulings: Mapping[int, RulingFacts], at: datetime.date
) -> Appeal | None:
    """An appeal from a controlling ruling that we have evidence of (see rule 5)."""
    ids = {r.id for r in controlling}
    later = sorted(
        (r for r in rulings.values() if r.reviews_id in ids and r.decided_on > at), key=_by_date
    )
    if later:
        source, court = rulings[later[0].reviews_id], later[0].court
    else:
        source = next(
            (
                r
                for r in sorted(controlling, key=_by_date, reverse=True)
                for suit in r.lawsuits
                if suit.on_appeal and suit.last_ruling_on == r.decided_on
            ),
            None,
        )
        if source is None or source.court.appeals_to is None:
            return None
        court = source.court.appeals_to
    if court.id == source.court.id:
        window = APPEAL_DAYS["rehearing"]
    elif court.level == CourtLevel.SUPREME:
        window = APPEAL_DAYS["certiorari"]
    else:
        window = APPEAL_DAYS["appeal"]
    return Appeal(court, source, at >= source.decided_on + datetime.timedelta(days=window))


def _appeal_wording(appeal: Appeal | None) -> str:
    if appeal is None:
        return ""
    if appeal.court.id == appeal.from_ruling.court.id:
        what = "rehearing"
    elif appeal.court.level == CourtLevel.SUPREME:
        what = "review"
    else:
        what = "appeal"
    if appeal.pending:
        return f"; {what} pending in the {appeal.court}"
    if what == "appeal":
        return f"; appealed to the {appeal.court} (date of notice not recorded)"
    return f"; {what} sought in the {appeal.court} (date not recorded)"


def _snapshot(
    policy: PolicyFacts,
    effects: Mapping[int, EffectFacts],
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
) -> _Snapshot:
    if at < policy.issued_on:
        code = StatusCode.NOT_YET_ISSUED
        return _Snapshot(code, code.label, f"Not yet issued (issued {_format_issued(policy)}).")
    if policy.ended_on is not None and at >= policy.ended_on:
        last = _court_snapshot(
            _court_position(effects, rulings, policy.ended_on), rulings, policy.ended_on
        )
        how = PolicyEnd(policy.end_kind).label if policy.end_kind in PolicyEnd.values else "Ended"
        by = f" by {policy.ended_by}" if policy.ended_by else ""
        last_text = last.headline[0].lower() + last.headline[1:]
        text = f"{how} on {format_day(policy.ended_on)}{by}. Last court status: {last_text}"
        return _Snapshot(StatusCode.ENDED, how, text)
    return _court_snapshot(_court_position(effects, rulings, at), rulings, at)


def derive(
    policy: PolicyFacts,
    effects: Iterable[EffectFacts],
    as_of: datetime.date,
    rulings: Iterable[RulingFacts] = (),
    *,
    with_history: bool = True,
) -> PolicyStatus:
    """The policy's status on `as_of`, from its rulings' effects.

    `rulings` adds rulings with no effect on this policy that still matter: those reviewing a
    ruling that has an effect (an en banc order vacating a panel, an appeal decided after
    `as_of`). Rulings decided after `as_of` are only used as evidence of an appeal.
    """
    by_ruling = {e.ruling.id: e for e in effects}
    known = {r.id: r for r in rulings} | {rid: e.ruling for rid, e in by_ruling.items()}
    now = _snapshot(policy, by_ruling, known, as_of)

    dates = {policy.issued_on} | {r.decided_on for r in known.values()}
    if policy.ended_on:
        dates = {d for d in dates if d < policy.ended_on} | {policy.ended_on}
    history: list[Change] = []
    previous = None
    # The history replays the rules as of every date a ruling was decided: what the policy page
    # shows. Lists, the dashboard and exports need only the status now (with_history=False):
    # one pass instead of one per date, which matters once a policy has hundreds of rulings.
    history_days = sorted(d for d in dates if policy.issued_on <= d <= as_of)
    for day in history_days if with_history else ():
        snap = now if day == as_of else _snapshot(policy, by_ruling, known, day)
        if snap.key() != previous:
            previous = snap.key()
            that_day = tuple(
                sorted((r for r in known.values() if r.decided_on == day), key=_by_date)
            )
            history.append(Change(day, snap.code, snap.label, snap.headline, that_day))

    court = _court_position(by_ruling, known, min(as_of, policy.ended_on or as_of))
    warnings = list(dict.fromkeys(court.warnings))
    for e in by_ruling.values():
        stayed = STAYED_WORDING.search(e.detail) and e.ruling.kind != RulingKind.STAY
        if stayed and e.ruling.decided_on <= as_of:
            warnings.append(
                f"Ruling {e.ruling.id}'s effect says '{e.detail}', but a stay is only read "
                "from a ruling of kind 'stay'; record the stay as its own ruling."
            )
    for r in known.values():
        if r.decided_on <= as_of and r.reviews_id is not None and not r.disposition:
            warnings.append(
                f"Ruling {r.id} reviews ruling {r.reviews_id} but records no disposition; "
                "read as leaving it in place."
            )
    return PolicyStatus(
        policy_id=policy.id,
        as_of=as_of,
        code=now.code,
        label=now.label,
        headline=now.headline,
        controlling=now.controlling,
        protected=now.protected,
        blocks=now.blocks,
        appeal=now.appeal,
        conflicts=now.conflicts,
        history=tuple(history),
        warnings=tuple(warnings),
    )


# --- Loading from the database -------------------------------------------------------------------


def policy_status(policy: Policy, as_of: datetime.date | None = None) -> PolicyStatus:
    """One policy's status on `as_of` (today if not given), with its history."""
    return statuses_for([policy], as_of, with_history=True)[policy.pk]


def statuses_for(
    policies: Iterable[Policy],
    as_of: datetime.date | None = None,
    *,
    with_history: bool = False,
) -> dict[int, PolicyStatus]:
    """Every given policy's status on `as_of` (today if not given), keyed by policy id.

    Six queries at most, however many policies: effects with their rulings and courts, the
    effects' protected jurisdictions, every published ruling that reviews another, the rulings'
    lawsuits, those lawsuits' state and their plaintiffs. Only published rulings count.
    """
    as_of = as_of or timezone.localdate()
    policies = list(policies)
    if not policies:
        return {}
    published = PublicationState.PUBLISHED
    effect_rows = list(
        RulingEffect.objects.filter(
            policy__in=[p.pk for p in policies],
            ruling__publication_state=published,
            ruling__decided_on__lte=as_of,
        )
        .select_related("ruling__court__appeals_to__appeals_to")
        .prefetch_related("protected")
    )
    review_rows = list(
        Ruling.objects.filter(publication_state=published, reviews__isnull=False).select_related(
            "court__appeals_to__appeals_to"
        )
    )
    ruling_rows = {row.ruling.pk: row.ruling for row in effect_rows} | {
        r.pk: r for r in review_rows
    }
    links = list(
        Ruling.lawsuits.through.objects.filter(ruling_id__in=ruling_rows).values_list(
            "ruling_id", "lawsuit_id"
        )
    )
    suit_ids = {suit_id for _, suit_id in links}
    plaintiffs: dict[int, set[JurisdictionFacts]] = defaultdict(set)
    suits: dict[int, LawsuitFacts] = {}
    if suit_ids:
        for suit_id, j_id, slug, name in Lawsuit.plaintiffs.through.objects.filter(
            lawsuit_id__in=suit_ids
        ).values_list("lawsuit_id", "jurisdiction_id", "jurisdiction__slug", "jurisdiction__name"):
            plaintiffs[suit_id].add(JurisdictionFacts(j_id, slug, name))
        last_published = Max("rulings__decided_on", filter=Q(rulings__publication_state=published))
        for suit_id, status, last in (
            Lawsuit.objects.filter(pk__in=suit_ids)
            .annotate(last=last_published)
            .values_list("pk", "status", "last")
        ):
            suits[suit_id] = LawsuitFacts(
                suit_id, frozenset(plaintiffs[suit_id]), status == LawsuitStatus.ON_APPEAL, last
            )
    suits_of: dict[int, list[LawsuitFacts]] = defaultdict(list)
    for ruling_id, suit_id in links:
        suits_of[ruling_id].append(suits[suit_id])

    courts: dict[str, CourtFacts] = {}

    def court_facts(court) -> CourtFacts:
        if court.pk not in courts:
            parent = court_facts(court.appeals_to) if court.appeals_to_id else None
            courts[court.pk] = CourtFacts(court.pk, court.citation_string, court.level, parent)
        return courts[court.pk]

    facts = {
        pk: RulingFacts(
            id=pk,
            court=court_facts(r.court),
            decided_on=r.decided_on,
            kind=r.kind,
            outcome=r.outcome,
            scope=r.scope,
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
        effects_of[row.policy_id].append(
            EffectFacts(
                ruling=facts[row.ruling_id],
                effect=row.effect,
                protected=frozenset(
                    JurisdictionFacts(j.pk, j.slug, j.name) for j in row.protected.all()
                ),
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
            PolicyFacts.from_policy(policy),
            effects,
            as_of,
            [facts[pk] for pk in related],
            with_history=with_history,
        )
    return result
