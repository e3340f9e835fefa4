"""The rules that turn a policy's rulings into its legal status on a day. Pure: no database.

What the rules read (frozen facts) and what they return (`PolicyStatus`) are plain dataclasses,
so the rules are table-tested on invented dockets (tests/test_status.py).

The rules
---------
1. Time. Only rulings decided on or before `as_of` count. Before the policy's issue date the
   status is "not yet issued". From its end (revoked by a later order, rescinded or repealed by
   its agency, expired; a memo interpreting an order ends with that order) it is "ended", and
   the headline keeps the last court status.
2. Parts. A policy may have parts that courts rule on separately (the notice, access and § 1373
   conditions). An effect names the parts it reaches, or none for the whole policy. Every rule
   below runs once per part; the policy's headline sums the parts up ("Notice and access
   conditions: ...; § 1373 condition: ...").
3. Review. A ruling that reviews another and is itself good law: *reversed* or *vacated* removes
   the reviewed ruling and all it did; *reversing* an affirmance reaches the affirmed ruling too;
   other dispositions leave the reviewed ruling in place and the reviewer's own effect says what
   changed. Good law is worked out from the latest ruling back.
4. Effects, in date order (a reviewed ruling before its reviewer on the same day; within one
   ruling, relief before the stay of it):
   - `blocks` starts a block with the reach the effect states (nationwide; every government
     within named states; named jurisdictions). It replaces the blocks of the ruling it reviews
     and earlier blocks of the same court in the same lawsuit.
   - `keeps_block` confirms a block; `narrows_block` sets its reach to the effect's.
   - `lifts_block` and `upholds` end the blocks the ruling's court controls (its own; a court of
     appeals' also its district courts'; the Supreme Court's all). A block from another circuit
     stands.
   - `stays` suspends the block of the ruling it names, wholly (reach "nobody") or beyond the
     reach it states ("nationwide effect stayed; the plaintiffs stay protected"), until the day
     it was lifted or until a ruling reviewing the stayed ruling decides the appeal.
   - `declines` changes nothing.
   - A court of appeals' (or the Supreme Court's) holding on the merits binds its circuit (or
     every circuit): the latest good-law holding in a circuit is the binding one there.
5. Status of a part. A live block reaching nationwide: "blocked nationwide"; else live blocks
   for some governments: "blocked for some jurisdictions"; else blocks all stayed: "block
   stayed"; else a lawful holding or an upholding ruling: "upheld"; else "in force" (for an
   action such as a round of letters: "no court ruled on it"). Circuit holdings that disagree
   are a split, and the headline says so.
6. Appeals are reported only on evidence (a later published ruling reviewing a controlling
   ruling, or a lawsuit marked "on appeal" whose latest ruling controls), and called pending only
   once the time to take one had run out (60 days with the United States a party, 45 for
   rehearing, 90 for certiorari).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.db import models
from django.urls import reverse

from cases.models import (
    ACTION_KINDS,
    US_STATES,
    CourtLevel,
    DatePrecision,
    Disposition,
    Effect,
    Holding,
    PolicyEnd,
    PolicyKind,
    Reach,
    RulingKind,
    RulingOutcome,
)


class StatusCode(models.TextChoices):
    NOT_YET_ISSUED = "not_yet_issued", "Not yet issued"
    IN_FORCE = "in_force", "In force"
    NO_RULING = "no_ruling", "No court ruled on it"
    BLOCKED_NATIONWIDE = "blocked_nationwide", "Blocked nationwide"
    BLOCKED_PARTLY = "blocked_partly", "Blocked for some jurisdictions"
    BLOCK_STAYED = "block_stayed", "In force: block stayed"
    UPHELD = "upheld", "Upheld"
    ENDED = "ended", "Ended"


# The order in which a policy's code sums up its parts: the strongest protection first.
CODE_ORDER = [
    StatusCode.BLOCKED_NATIONWIDE,
    StatusCode.BLOCKED_PARTLY,
    StatusCode.BLOCK_STAYED,
    StatusCode.UPHELD,
    StatusCode.IN_FORCE,
    StatusCode.NO_RULING,
    StatusCode.ENDED,
    StatusCode.NOT_YET_ISSUED,
]

# The courts of appeals whose holdings bind a circuit, in the order a reader expects.
CIRCUITS = [
    "ca1", "ca2", "ca3", "ca4", "ca5", "ca6", "ca7", "ca8", "ca9", "ca10", "ca11", "cadc", "cafc",
]  # fmt: skip


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

    @property
    def circuit(self) -> str | None:
        """The court of appeals whose holdings bind this court (None for the Supreme Court)."""
        if self.level == CourtLevel.APPELLATE:
            return self.id
        if self.appeals_to is not None and self.appeals_to.level == CourtLevel.APPELLATE:
            return self.appeals_to.id
        return None

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
    caption: str = ""
    on_appeal: bool = False
    last_ruling_on: datetime.date | None = None


RULING_NOUNS = {
    RulingKind.TRO: "temporary restraining order",
    RulingKind.PRELIMINARY_INJUNCTION: "preliminary injunction",
    RulingKind.PERMANENT_INJUNCTION: "permanent injunction",
    RulingKind.SUMMARY_JUDGMENT: "summary judgment",
    RulingKind.DISMISSAL: "dismissal",
    RulingKind.STAY: "stay order",
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
    def case_name(self) -> str:
        return self.lawsuits[0].caption if self.lawsuits else ""


@dataclass(frozen=True)
class ReachFacts:
    """Who a block protects, as the court said it."""

    kind: str = Reach.NATIONWIDE
    states: tuple[str, ...] = ()
    jurisdictions: frozenset[JurisdictionFacts] = frozenset()

    @property
    def nationwide(self) -> bool:
        return self.kind == Reach.NATIONWIDE

    @property
    def nobody(self) -> bool:
        return (
            self.kind == Reach.NOBODY
            or (self.kind == Reach.JURISDICTIONS and not self.jurisdictions)
            or (self.kind == Reach.STATES and not self.states)
        )

    def within(self, other: ReachFacts) -> ReachFacts:
        """This reach, no wider than `other` (a block's reach under a partial stay)."""
        if other.nationwide:
            return self
        if self.nationwide:
            return other
        if self.kind == other.kind == Reach.STATES:
            return ReachFacts(Reach.STATES, tuple(s for s in self.states if s in other.states))
        if self.kind == other.kind == Reach.JURISDICTIONS:
            return ReachFacts(Reach.JURISDICTIONS, (), self.jurisdictions & other.jurisdictions)
        # A state-wide block partly stayed except for named governments (or the reverse): the
        # narrower statement of the two is what a reader can sign.
        return other if other.kind == Reach.JURISDICTIONS else self

    def describe(self) -> str:
        """'nationwide', 'every government within California', 'City of Chicago'."""
        if self.nationwide:
            return "nationwide"
        if self.kind == Reach.STATES:
            return "every government within " + _join([US_STATES[s] for s in self.states])
        if self.kind == Reach.JURISDICTIONS and self.jurisdictions:
            return _names(self.jurisdictions)
        return "nobody"

    def for_phrase(self) -> str:
        """'nationwide', 'within California', 'for the City of Chicago'."""
        if self.nationwide:
            return "nationwide"
        if self.kind == Reach.STATES:
            return "within " + _join([US_STATES[s] for s in self.states])
        return "for " + self.describe()


NATIONWIDE = ReachFacts()
NOBODY = ReachFacts(Reach.NOBODY)


@dataclass(frozen=True)
class EffectFacts:
    ruling: RulingFacts
    effect: str
    parts: frozenset[str] = frozenset()  # part slugs; empty for the whole policy
    reach: ReachFacts = NOBODY
    stays_id: int | None = None
    stay_ends_on: datetime.date | None = None
    holding: str = Holding.NONE
    detail: str = ""

    def reaches(self, part: str) -> bool:
        return not self.parts or part in self.parts


@dataclass(frozen=True)
class PartFacts:
    slug: str
    name: str


WHOLE = PartFacts("", "")


@dataclass(frozen=True)
class PolicyFacts:
    id: int
    issued_on: datetime.date
    issued_on_precision: str = DatePrecision.DAY
    kind: str = PolicyKind.GRANT_CONDITION
    ended_on: datetime.date | None = None
    end_kind: str = ""
    ended_by: str = ""
    parts: tuple[PartFacts, ...] = ()
    # For a memo interpreting an order: the order's title and end, which end the memo too.
    parent_title: str = ""
    parent_ended_on: datetime.date | None = None
    parent_ended_by: str = ""

    @property
    def end(self) -> tuple[datetime.date, str] | None:
        """When and how the policy ended, as a phrase ('Revoked on 20 Jan 2021 by ...')."""
        if self.ended_on is not None:
            how = END_VERBS.get(self.end_kind, "Ended")
            by = f" by {self.ended_by}" if self.ended_by else ""
            if self.end_kind == PolicyEnd.WITH_PARENT and self.parent_title:
                return self.ended_on, (
                    f"Ended on {format_day(self.ended_on)} with the order it interprets "
                    f"({self.parent_title}){by}"
                )
            return self.ended_on, f"{how} on {format_day(self.ended_on)}{by}"
        if self.kind == PolicyKind.MEMORANDUM and self.parent_ended_on is not None:
            by = f", ended by {self.parent_ended_by}" if self.parent_ended_by else ""
            return self.parent_ended_on, (
                f"Ended on {format_day(self.parent_ended_on)} with the order it interprets "
                f"({self.parent_title}{by})"
            )
        return None


END_VERBS = {
    PolicyEnd.REVOKED: "Revoked",
    PolicyEnd.REPEALED: "Rescinded",
    PolicyEnd.SUPERSEDED: "Superseded",
    PolicyEnd.EXPIRED: "Expired",
}

# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One block, from its source ruling; `steps` says who shaped it, in order."""

    source: RulingFacts
    steps: tuple[tuple[str, RulingFacts], ...]  # ("blocked by", source), ("affirmed by", ...)
    reach: ReachFacts  # its reach now, after any narrowing and any partial stay
    ordered_reach: ReachFacts  # the reach the courts ordered, before any stay
    stayed_by: RulingFacts | None = None
    suspended: bool = False  # wholly suspended by `stayed_by`

    @property
    def rulings(self) -> tuple[RulingFacts, ...]:
        return tuple(ruling for _, ruling in self.steps)


@dataclass(frozen=True)
class Protection:
    """Who is protected, and the order that protects them."""

    reach: ReachFacts
    rulings: tuple[RulingFacts, ...]
    parts: tuple[str, ...] = ()  # part names; empty for the whole policy

    @property
    def who(self) -> str:
        return self.reach.describe()


@dataclass(frozen=True)
class CircuitHolding:
    circuit: str  # 'ca7'
    name: str  # '7th Cir.'
    holding: str  # Holding value: 'unlawful', 'lawful' or '' (none yet)
    ruling: RulingFacts | None = None
    parts: tuple[str, ...] = ()  # part names the holding concerns; empty for the whole policy

    @property
    def label(self) -> str:
        return {
            Holding.UNLAWFUL: "Unlawful",
            Holding.LAWFUL: "Lawful",
        }.get(self.holding, "No holding yet")


@dataclass(frozen=True)
class Appeal:
    court: CourtFacts
    from_ruling: RulingFacts
    pending: bool  # the time to take it had run out by as_of, so it was surely pending then


@dataclass(frozen=True)
class PartStatus:
    part: PartFacts
    code: StatusCode
    label: str
    text: str  # lower-case clause: 'blocked for the City of Chicago by ...'
    blocks: tuple[Block, ...] = ()
    controlling: tuple[RulingFacts, ...] = ()
    holdings: tuple[tuple[str, str, RulingFacts], ...] = ()  # (circuit, holding, ruling)
    appeal: Appeal | None = None

    @property
    def split(self) -> bool:
        """Whether the circuits' binding holdings on this part disagree."""
        return len({holding for _, holding, _ in self.holdings}) > 1


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
    parts: tuple[PartStatus, ...] = ()
    protections: tuple[Protection, ...] = ()
    circuits: tuple[CircuitHolding, ...] = ()
    split: bool = False
    history: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()  # oddities in the records, for editors
    # Changes before the first one in `history`, where a reader keeps only the latest.
    earlier_changes: int = 0
    # Every part as the rules worked it out; a policy without parts is its one part (`WHOLE`).
    every_part: tuple[PartStatus, ...] = ()

    @property
    def has_holdings(self) -> bool:
        return any(row.holding for row in self.circuits)

    def key(self) -> tuple:
        """What a reader would call a change: the code and the headline."""
        return (self.code, self.headline)


# --- Wording ------------------------------------------------------------------------------------


def format_day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _format_issued(policy: PolicyFacts) -> str:
    if policy.issued_on_precision == DatePrecision.YEAR:
        return f"{policy.issued_on:%Y}"
    if policy.issued_on_precision == DatePrecision.MONTH:
        return f"{policy.issued_on:%b %Y}"
    return format_day(policy.issued_on)


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(jurisdictions: Iterable[JurisdictionFacts]) -> str:
    names = sorted(j.name for j in jurisdictions)
    if not names:
        return "nobody"
    if len(names) > 4:
        return f"{len(names)} named jurisdictions"
    return _join(names)


def _sorted(jurisdictions: Iterable[JurisdictionFacts]) -> tuple[JurisdictionFacts, ...]:
    return tuple(sorted(jurisdictions, key=lambda j: (j.name, j.id)))


def _by_date(ruling: RulingFacts) -> tuple[datetime.date, int]:
    return (ruling.decided_on, ruling.id)


CIRCUIT_NAMES = {
    "ca1": "1st Cir.", "ca2": "2d Cir.", "ca3": "3d Cir.", "ca4": "4th Cir.", "ca5": "5th Cir.",
    "ca6": "6th Cir.", "ca7": "7th Cir.", "ca8": "8th Cir.", "ca9": "9th Cir.",
    "ca10": "10th Cir.", "ca11": "11th Cir.", "cadc": "D.C. Cir.", "cafc": "Fed. Cir.",
}  # fmt: skip


def _circuit_list(circuits: Sequence[str]) -> str:
    """'the 3d, 7th and 9th Cirs.' / 'the 2d Cir.'."""
    names = [CIRCUIT_NAMES.get(c, c) for c in circuits]
    if len(names) == 1:
        return f"the {names[0]}"
    return "the " + _join([n.removesuffix(" Cir.") for n in names]) + " Cirs."


# --- The rules ----------------------------------------------------------------------------------

UNDOING = {Disposition.REVERSED, Disposition.VACATED}
AFFIRMING = {Disposition.AFFIRMED, Disposition.AFFIRMED_IN_PART}
APPEAL_DAYS = {"appeal": 60, "rehearing": 45, "certiorari": 90}
MERITS_LEVELS = {CourtLevel.APPELLATE, CourtLevel.SUPREME}


def undone_rulings(
    rulings: Mapping[int, RulingFacts], as_of: datetime.date
) -> dict[int, RulingFacts]:
    """Each ruling that is no longer good law on `as_of`, with the ruling that undid it."""
    reviewers: dict[int, list[RulingFacts]] = defaultdict(list)
    for ruling in sorted(rulings.values(), key=_by_date):
        if ruling.reviews_id is not None and ruling.decided_on <= as_of:
            reviewers[ruling.reviews_id].append(ruling)
    memo: dict[int, RulingFacts | None] = {}
    visiting: set[int] = set()  # guards against a review cycle in bad data

    def first_undoing(ruling_id: int, undoing: set[str]) -> RulingFacts | None:
        """A good-law reviewer of this ruling with an `undoing` disposition, directly or through
        rulings affirming it (what reverses an affirmance reverses what it affirmed)."""
        if ruling_id in visiting:
            return None
        visiting.add(ruling_id)
        found = None
        for z in reviewers[ruling_id]:
            if z.id in visiting:
                continue
            if z.disposition in undoing and undone_by(z.id) is None:
                found = z
            elif z.disposition in AFFIRMING:
                found = first_undoing(z.id, {Disposition.REVERSED})
            if found:
                break
        visiting.discard(ruling_id)
        return found

    def undone_by(ruling_id: int) -> RulingFacts | None:
        if ruling_id not in memo:
            memo[ruling_id] = first_undoing(ruling_id, UNDOING)
        return memo[ruling_id]

    return {rid: killer for rid in rulings if (killer := undone_by(rid))}


@dataclass
class _Stay:
    ruling: RulingFacts
    leaves: ReachFacts | None  # None: wholly suspended
    ends_on: datetime.date | None


@dataclass
class _Block:
    source: RulingFacts
    reach: ReachFacts
    steps: list[tuple[str, RulingFacts]]
    stay: _Stay | None = None

    def ids(self) -> set[int]:
        return {ruling.id for _, ruling in self.steps}

    def freeze(self, at: datetime.date) -> Block:
        stay = (
            self.stay if self.stay and (not self.stay.ends_on or at < self.stay.ends_on) else None
        )
        reach = self.reach
        if stay and stay.leaves is not None:
            reach = self.reach.within(stay.leaves)
        return Block(
            source=self.source,
            steps=tuple(self.steps),
            reach=reach,
            ordered_reach=self.reach,
            stayed_by=stay.ruling if stay else None,
            suspended=bool(stay) and (stay.leaves is None or reach.nobody),
        )


@dataclass
class _Position:
    """The courts' position on one part, on one day: what the good-law rulings add up to."""

    blocks: dict[int, _Block] = field(default_factory=dict)
    upholders: list[RulingFacts] = field(default_factory=list)
    holdings: dict[str, tuple[str, RulingFacts]] = field(default_factory=dict)  # by circuit
    notes: list[tuple[datetime.date, str]] = field(default_factory=list)  # for "in force"
    warnings: list[str] = field(default_factory=list)
    ruled: bool = False  # some ruling had an effect on this part


def _depth(ruling: RulingFacts, rulings: Mapping[int, RulingFacts]) -> int:
    depth, seen = 0, {ruling.id}
    while ruling.reviews_id in rulings and ruling.reviews_id not in seen:
        ruling = rulings[ruling.reviews_id]
        seen.add(ruling.id)
        depth += 1
    return depth


def _position(
    part: str,
    effects: Mapping[int, list[EffectFacts]],
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
    undone: Mapping[int, RulingFacts] | None = None,
) -> _Position:
    position = _Position()
    undone = undone_rulings(rulings, at) if undone is None else undone
    for ruling_id, killer in undone.items():
        blocked = any(e.effect == Effect.BLOCKS for e in effects.get(ruling_id, ()))
        if blocked and killer.decided_on <= at:
            verb = "reversed" if killer.disposition == Disposition.REVERSED else "vacated"
            position.notes.append(
                (killer.decided_on, f"{rulings[ruling_id]} was {verb} by {killer}")
            )
    timeline = sorted(
        (r for r in rulings.values() if r.decided_on <= at and r.id not in undone),
        key=lambda r: (r.decided_on, _depth(r, rulings), r.id),
    )
    _advance(position, part, effects, timeline)
    return position


def _advance(
    position: _Position,
    part: str,
    effects: Mapping[int, list[EffectFacts]],
    timeline: Iterable[RulingFacts],
) -> None:
    """Apply `timeline` (good-law rulings, in date order) to the position."""
    for ruling in timeline:
        _end_stays_pending_review(position, ruling)
        mine = [e for e in effects.get(ruling.id, ()) if e.reaches(part)]
        # Relief first, then any stay of it the same order grants.
        for effect in sorted(mine, key=lambda e: e.effect == Effect.STAYS):
            position.ruled = True
            _apply(position, ruling, effect)


def _end_stays_pending_review(position: _Position, ruling: RulingFacts) -> None:
    """A decision reviewing a stayed ruling decides the appeal the stay was pending."""
    if ruling.reviews_id is None or ruling.kind == RulingKind.STAY:
        return
    for block in position.blocks.values():
        stay = block.stay
        if stay and stay.ruling.id != ruling.id and ruling.reviews_id in block.ids():
            block.stay = None


def _apply(position: _Position, ruling: RulingFacts, effect: EffectFacts) -> None:
    blocks = position.blocks
    kind = effect.effect
    chain = [b for b in blocks.values() if ruling.reviews_id in b.ids()]
    controlled = [b for b in blocks.values() if ruling.court.controls(b.source.court)]
    same_suit = [b for b in controlled if b.source.lawsuit_ids & ruling.lawsuit_ids]

    if effect.holding and ruling.court.level in MERITS_LEVELS:
        circuit = "scotus" if ruling.court.level == CourtLevel.SUPREME else ruling.court.id
        position.holdings[circuit] = (effect.holding, ruling)
    elif effect.holding:
        position.warnings.append(
            f"Ruling {ruling.id} records a holding, but only a court of appeals or the Supreme "
            "Court binds a circuit; it is not counted."
        )

    if kind == Effect.BLOCKS:
        if effect.reach.nobody:
            position.warnings.append(f"Ruling {ruling.id} blocks the policy but protects nobody.")
        replaced = chain + [b for b in same_suit if b.source.court.id == ruling.court.id]
        for block in replaced:
            blocks.pop(block.source.id, None)
        blocks[ruling.id] = _Block(ruling, effect.reach, [("blocked by", ruling)])
    elif kind == Effect.STAYS:
        targets = [b for b in blocks.values() if effect.stays_id in b.ids()]
        if not targets:
            position.warnings.append(
                f"Ruling {ruling.id} stays ruling {effect.stays_id}, which has no block in force "
                "on this policy."
            )
        leaves = None if effect.reach.kind in (Reach.NOBODY, Reach.NOT_APPLICABLE) else effect.reach
        for block in targets:
            block.stay = _Stay(ruling, leaves, effect.stay_ends_on)
            verb = "stayed by" if leaves is None else f"stayed beyond {leaves.describe()} by"
            block.steps.append((verb, ruling))
    elif kind in {Effect.UPHOLDS, Effect.LIFTS_BLOCK}:
        reach = controlled if ruling.court.level != CourtLevel.DISTRICT else same_suit
        for block in {id(b): b for b in chain + reach}.values():
            blocks.pop(block.source.id, None)
            position.notes.append((ruling.decided_on, f"{block.source} was lifted by {ruling}"))
        if kind == Effect.UPHOLDS or ruling.outcome == RulingOutcome.GOVERNMENT:
            position.upholders.append(ruling)
    elif kind in {Effect.KEEPS_BLOCK, Effect.NARROWS_BLOCK}:
        targets = chain or same_suit
        if not targets:
            position.warnings.append(
                f"Ruling {ruling.id} is recorded as '{kind}' but no block it could act on "
                "was in force."
            )
        for block in targets:
            if kind == Effect.NARROWS_BLOCK and block.reach != effect.reach:
                block.reach = effect.reach
                block.steps.append((f"limited to {effect.reach.describe()} by", ruling))
            else:
                block.steps.append((_confirming_verb(ruling), ruling))
    elif kind == Effect.DECLINES:
        position.notes.append((ruling.decided_on, f"{ruling} declined to block it"))


def _confirming_verb(ruling: RulingFacts) -> str:
    return {
        Disposition.AFFIRMED: "affirmed by",
        Disposition.AFFIRMED_IN_PART: "affirmed in part by",
        Disposition.VACATED_IN_PART: "upheld in part by",
    }.get(ruling.disposition, "kept in force by")


def _story(block: Block) -> str:
    """'the N.D. Ill. permanent injunction of 27 Jul 2018 (nationwide reach stayed by ...)'."""
    text = str(block.source)
    extra = []
    for verb, ruling in block.steps[1:]:
        if block.stayed_by is not None and ruling == block.stayed_by:
            if not block.suspended:
                what = "its nationwide reach" if block.ordered_reach.nationwide else "its reach"
                by = "the same order" if ruling == block.source else str(ruling)
                extra.append(f"{what} stayed beyond {block.reach.describe()} by {by}")
            continue
        if verb.startswith("stayed"):
            continue  # an earlier stay, since ended
        extra.append(f"{verb} {ruling}")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _blocked_text(nationwide: Sequence[Block], partial: Sequence[Block]) -> str:
    """'blocked nationwide by X', or 'blocked for A, B and C (by 3 orders; the nationwide reach of
    X stayed)': one order is told in full, several are summed up (the page lists each)."""
    if len(nationwide) > 3:
        latest = max(nationwide, key=lambda b: _by_date(b.source))
        return f"blocked nationwide by {len(nationwide)} orders (the latest: {_story(latest)})"
    if nationwide:
        return "blocked nationwide by " + "; and by ".join(_story(b) for b in nationwide)
    if len(partial) == 1:
        block = partial[0]
        return f"blocked {block.reach.for_phrase()} by {_story(block)}"
    states = sorted({US_STATES[s] for b in partial for s in b.reach.states})
    places = sorted({j.name for b in partial for j in b.reach.jurisdictions})
    who = [f"every government within {_join(states)}"] if states else []
    who += places if len(places) <= 10 else [f"{len(places)} named jurisdictions"]
    stayed = [b for b in partial if b.stayed_by is not None and b.ordered_reach.nationwide]
    text = f"blocked for {_join(who)} (by {len(partial)} orders"
    if stayed:
        names = _join([str(b.source) for b in stayed])
        text += f"; the nationwide reach of {names} stayed"
    return text + ")"


def _holdings_text(holdings: Mapping[str, tuple[str, RulingFacts]]) -> str:
    """'held unlawful in the 3d, 7th and 9th Cirs.; held lawful in the 2d Cir. by ...'."""
    if "scotus" in holdings:
        holding, ruling = holdings["scotus"]
        verb = "upheld" if holding == Holding.LAWFUL else "held unlawful"
        return f"{verb} by {ruling}"
    by_holding: dict[str, list[str]] = defaultdict(list)
    for circuit in CIRCUITS:
        if circuit in holdings:
            by_holding[holdings[circuit][0]].append(circuit)
    clauses = []
    for holding in (Holding.UNLAWFUL, Holding.LAWFUL):
        circuits = by_holding.get(holding)
        if circuits:
            verb = "upheld" if holding == Holding.LAWFUL else "held unlawful"
            clause = f"{verb} in {_circuit_list(circuits)}"
            if len(by_holding) > 1 and holding == Holding.LAWFUL:
                rulings = [holdings[c][1] for c in circuits]
                named = "; ".join(
                    f"{r.case_name}, {format_day(r.decided_on)}" if r.case_name else str(r)
                    for r in rulings
                )
                clause += f" ({named})"
            clauses.append(clause)
    return "; ".join(clauses)


def _part_status(
    policy: PolicyFacts,
    part: PartFacts,
    position: _Position,
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
    reviewers: Mapping[int, Sequence[RulingFacts]],
) -> PartStatus:
    blocks = tuple(b.freeze(at) for b in position.blocks.values())
    live = [b for b in blocks if not b.suspended]
    holdings = tuple(
        (circuit, holding, ruling) for circuit, (holding, ruling) in position.holdings.items()
    )
    split = len({h for _, h, _ in holdings}) > 1
    holdings_text = _holdings_text(position.holdings)
    controlling = blocks_controlling(blocks)
    if live:
        nationwide = [b for b in live if b.reach.nationwide]
        code = StatusCode.BLOCKED_NATIONWIDE if nationwide else StatusCode.BLOCKED_PARTLY
        text = _blocked_text(nationwide, [b for b in live if not b.reach.nationwide])
    elif blocks:
        code = StatusCode.BLOCK_STAYED
        text = "in force: " + "; and ".join(
            f"{b.source} is stayed by {b.stayed_by}" for b in blocks
        )
    elif position.upholders or any(h == Holding.LAWFUL for _, h, _ in holdings):
        code = StatusCode.UPHELD
        lawful = [r for _, h, r in holdings if h == Holding.LAWFUL]
        controlling = tuple(sorted(set(position.upholders) | set(lawful), key=_by_date))
        latest = controlling[-1]
        text = f"upheld by {latest}"
        reviewed = rulings.get(latest.reviews_id)
        if reviewed and latest.disposition in UNDOING:
            text += f", which {latest.disposition} {reviewed}"
    elif policy.kind in ACTION_KINDS and not position.ruled:
        code = StatusCode.NO_RULING
        text = "no court ruled on it"
        controlling = ()
    else:
        code = StatusCode.IN_FORCE
        note = max(position.notes, key=lambda n: n[0])[1] if position.notes else None
        text = "in force" + (f"; {note}" if note else "; no court has blocked it")
        controlling = ()
    if (holdings_text and code != StatusCode.UPHELD) or split:
        text += ("; circuits split: " if split else "; ") + holdings_text
    # An appeal is worth a clause when one order controls; with several, the page lists them.
    single = len({b.source for b in live}) <= 1
    appeal = _appeal(controlling, rulings, at, reviewers) if controlling and single else None
    text += _appeal_wording(appeal)
    label = code.label
    return PartStatus(part, code, label, text, blocks, controlling, holdings, appeal)


def blocks_controlling(blocks: Sequence[Block]) -> tuple[RulingFacts, ...]:
    """The rulings that shape a part's blocks: those of the live blocks, or, when every block
    is stayed, of all of them."""
    live = [b for b in blocks if not b.suspended] or blocks
    return tuple(sorted({r for b in live for r in b.rulings}, key=_by_date))


def _reviewers(rulings: Mapping[int, RulingFacts]) -> dict[int, list[RulingFacts]]:
    found: dict[int, list[RulingFacts]] = defaultdict(list)
    for ruling in rulings.values():
        if ruling.reviews_id is not None:
            found[ruling.reviews_id].append(ruling)
    return found


def _appeal(
    controlling: Sequence[RulingFacts],
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
    reviewers: Mapping[int, Sequence[RulingFacts]],
) -> Appeal | None:
    """An appeal from a controlling ruling that we have evidence of (rule 6)."""
    later = sorted(
        (r for c in controlling for r in reviewers.get(c.id, ()) if r.decided_on > at),
        key=_by_date,
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


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _parts_of(policy: PolicyFacts) -> tuple[PartFacts, ...]:
    return policy.parts or (WHOLE,)


def _summarise(policy: PolicyFacts, parts: Sequence[PartStatus]) -> tuple[StatusCode, str, str]:
    """The policy's code, label and headline from its parts' statuses."""
    codes = {p.code for p in parts}
    code = min(codes, key=CODE_ORDER.index)
    label = code.label if len(codes) == 1 else f"{code.label} (in part)"
    groups: dict[str, list[PartStatus]] = {}
    for part in parts:
        groups.setdefault(part.text, []).append(part)
    if len(groups) == 1:
        headline = _sentence(parts[0].text)
    else:
        clauses = []
        for text, members in groups.items():
            names = [m.part.name for m in members]
            # 'notice condition' + 'access condition' -> 'Notice and access conditions'
            if all(n.endswith(" condition") for n in names) and len(names) > 1:
                subject = _join([n.removesuffix(" condition") for n in names]) + " conditions"
            else:
                subject = _join(names)
            clauses.append(f"{subject[:1].upper()}{subject[1:]}: {text}")
        headline = _sentence("; ".join(clauses))
    if any(part.split for part in parts):
        label += "; circuits split"
    return code, label, headline


def _not_yet_issued(policy: PolicyFacts, at: datetime.date) -> PolicyStatus:
    code = StatusCode.NOT_YET_ISSUED
    text = f"Not yet issued (issued {_format_issued(policy)})."
    return PolicyStatus(policy.id, at, code, code.label, text)


def _court_day(policy: PolicyFacts, at: datetime.date) -> datetime.date:
    """The day whose rulings count on `at`: from the policy's end, the end day."""
    end = policy.end
    return end[0] if end and at >= end[0] else at


def _from_positions(
    policy: PolicyFacts,
    positions: Sequence[_Position],
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
    reviewers: Mapping[int, Sequence[RulingFacts]],
) -> tuple[PolicyStatus, list[str]]:
    court_day = _court_day(policy, at)
    parts, warnings = [], []
    for part, position in zip(_parts_of(policy), positions, strict=True):
        warnings.extend(position.warnings)
        parts.append(_part_status(policy, part, position, rulings, court_day, reviewers))
    code, label, headline = _summarise(policy, parts)
    end = policy.end
    if end and at >= end[0]:
        last = headline[0].lower() + headline[1:]
        headline = f"{end[1]}. Last court status: {last}"
        code, label = StatusCode.ENDED, StatusCode.ENDED.label
    return _status(policy, at, code, label, headline, parts), warnings


def _snapshot(
    policy: PolicyFacts,
    effects: Mapping[int, list[EffectFacts]],
    rulings: Mapping[int, RulingFacts],
    at: datetime.date,
    reviewers: Mapping[int, Sequence[RulingFacts]] | None = None,
) -> tuple[PolicyStatus, list[str]]:
    if at < policy.issued_on:
        return _not_yet_issued(policy, at), []
    court_day = _court_day(policy, at)
    positions = [_position(p.slug, effects, rulings, court_day) for p in _parts_of(policy)]
    reviewers = _reviewers(rulings) if reviewers is None else reviewers
    return _from_positions(policy, positions, rulings, at, reviewers)


def _status(
    policy: PolicyFacts,
    at: datetime.date,
    code: StatusCode,
    label: str,
    headline: str,
    parts: Sequence[PartStatus],
) -> PolicyStatus:
    blocks = tuple(b for p in parts for b in p.blocks)
    live = [b for b in blocks if not b.suspended]
    controlling = tuple(sorted({r for p in parts for r in p.controlling}, key=_by_date))
    protections = _protections(parts) if code != StatusCode.ENDED else ()
    protected = _sorted({j for b in live for j in b.reach.jurisdictions})
    circuits = _circuits(parts)
    appeal = next((p.appeal for p in parts if p.appeal), None)
    return PolicyStatus(
        policy_id=policy.id,
        as_of=at,
        code=code,
        label=label,
        headline=headline,
        controlling=controlling,
        protected=protected,
        blocks=blocks,
        appeal=appeal,
        parts=tuple(parts) if policy.parts else (),
        every_part=tuple(parts),
        protections=protections,
        circuits=circuits,
        split=any(part.split for part in parts),
    )


def _protections(parts: Sequence[PartStatus]) -> tuple[Protection, ...]:
    """For each reach protected on some part, the orders protecting it and the parts."""
    found: dict[tuple, tuple[ReachFacts, list[RulingFacts], list[str]]] = {}
    for part in parts:
        for block in part.blocks:
            if block.suspended:
                continue
            key = (block.reach.kind, block.reach.states, block.reach.jurisdictions, block.source)
            # The orders that grant and keep the protection; the stays that narrow it are told
            # in the headline and the block's story.
            protecting = dict.fromkeys(
                r for verb, r in block.steps if not verb.startswith("stayed")
            )
            reach, rulings, names = found.setdefault(key, (block.reach, list(protecting), []))
            if part.part.name:
                names.append(part.part.name)
    return tuple(
        Protection(reach, tuple(rulings), tuple(names)) for reach, rulings, names in found.values()
    )


def _circuits(parts: Sequence[PartStatus]) -> tuple[CircuitHolding, ...]:
    """The binding holding in each of the 13 circuits (a Supreme Court holding binds all)."""
    by_circuit: dict[str, tuple[str, RulingFacts, list[str]]] = {}
    for part in parts:
        held = {circuit: (holding, ruling) for circuit, holding, ruling in part.holdings}
        for circuit in CIRCUITS:
            found = held.get("scotus") or held.get(circuit)
            if found is None:
                continue
            holding, ruling = found
            entry = by_circuit.setdefault(circuit, (holding, ruling, []))
            if part.part.name and entry[0] == holding:
                entry[2].append(part.part.name)
    rows = []
    for circuit in CIRCUITS:
        if circuit in by_circuit:
            holding, ruling, names = by_circuit[circuit]
            rows.append(
                CircuitHolding(circuit, CIRCUIT_NAMES[circuit], holding, ruling, tuple(names))
            )
        else:
            rows.append(CircuitHolding(circuit, CIRCUIT_NAMES[circuit], Holding.NONE))
    return tuple(rows)


def change_days(
    policy: PolicyFacts,
    effects: Mapping[int, list[EffectFacts]],
    rulings: Mapping[int, RulingFacts],
) -> list[datetime.date]:
    """Every day on which the status can change: issue and end, each ruling's date, the end of
    each stay, and the day each appeal window closes (when "appealed" becomes "pending")."""
    days = {policy.issued_on} | {r.decided_on for r in rulings.values()}
    for effect_list in effects.values():
        days |= {e.stay_ends_on for e in effect_list if e.stay_ends_on}
    for ruling in rulings.values():
        for window in APPEAL_DAYS.values():
            days.add(ruling.decided_on + datetime.timedelta(days=window))
    end = policy.end
    if end:
        days = {d for d in days if d < end[0]} | {end[0]}
    return sorted(d for d in days if d >= policy.issued_on)


def _index(
    effects: Iterable[EffectFacts], rulings: Iterable[RulingFacts]
) -> tuple[dict[int, list[EffectFacts]], dict[int, RulingFacts]]:
    by_ruling: dict[int, list[EffectFacts]] = defaultdict(list)
    for effect in effects:
        by_ruling[effect.ruling.id].append(effect)
    known = {r.id: r for r in rulings}
    for ruling_id, effect_list in by_ruling.items():
        known[ruling_id] = effect_list[0].ruling
    return by_ruling, known


def _review_warnings(rulings: Iterable[RulingFacts]) -> list[str]:
    return [
        f"Ruling {r.id} reviews ruling {r.reviews_id} but records no disposition; "
        "read as leaving it in place."
        for r in sorted(rulings, key=_by_date)
        if r.reviews_id is not None and not r.disposition
    ]


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

    This is the reference: every date worked out from scratch. `sweep` gives the same statuses
    for every date in one pass, for storing.
    """
    by_ruling, known = _index(effects, rulings)
    reviewers = _reviewers(known)
    now, warnings = _snapshot(policy, by_ruling, known, as_of, reviewers)

    history: list[Change] = []
    if with_history:
        previous = None
        for day in [d for d in change_days(policy, by_ruling, known) if d <= as_of]:
            snap = now if day == as_of else _snapshot(policy, by_ruling, known, day, reviewers)[0]
            if snap.key() != previous:
                previous = snap.key()
                history.append(
                    Change(day, snap.code, snap.label, snap.headline, _decided(known, day))
                )
    if as_of >= policy.issued_on:  # before, nothing is read
        warnings += _review_warnings(r for r in known.values() if r.decided_on <= as_of)
    return replace(now, history=tuple(history), warnings=tuple(dict.fromkeys(warnings)))


def _decided(rulings: Mapping[int, RulingFacts], day: datetime.date) -> tuple[RulingFacts, ...]:
    return tuple(sorted((r for r in rulings.values() if r.decided_on == day), key=_by_date))


def sweep(
    policy: PolicyFacts,
    effects: Iterable[EffectFacts],
    rulings: Iterable[RulingFacts] = (),
) -> Iterator[tuple[datetime.date, PolicyStatus, list[str]]]:
    """The policy's status on each day it can change, in date order, as (day, status, warnings):
    each status holds from its day until the next one's, the last one for good. The first day
    is `datetime.date.min` (not yet issued).

    The same statuses as `derive` on each of those days (tests/test_status_store.py checks it),
    without history, in one pass: each day applies only the rulings decided since the day
    before, and the rulings are replayed from the start only on a day whose rulings change
    which earlier rulings are still good law (a reversal, a vacatur).
    """
    by_ruling, known = _index(effects, rulings)
    reviewers = _reviewers(known)
    depth = {pk: _depth(r, known) for pk, r in known.items()}
    parts = _parts_of(policy)
    order = sorted(known.values(), key=lambda r: (r.decided_on, depth[r.id], r.id))
    yield datetime.date.min, _not_yet_issued(policy, datetime.date.min), []

    positions: list[_Position] = []
    undone: dict[int, RulingFacts] | None = None
    done = 0  # rulings of `order` already applied (or passed over as undone)
    for day in change_days(policy, by_ruling, known):
        court_day = _court_day(policy, day)
        new = []
        while done < len(order) and order[done].decided_on <= court_day:
            new.append(order[done])
            done += 1
        if undone is None or any(r.reviews_id is not None for r in new):
            now_undone = undone_rulings(known, court_day)
            if now_undone != undone:
                undone = now_undone
                positions = [_position(p.slug, by_ruling, known, court_day, undone) for p in parts]
                new = []
        for part, position in zip(parts, positions, strict=True):
            _advance(position, part.slug, by_ruling, [r for r in new if r.id not in undone])
        status, warnings = _from_positions(policy, positions, known, day, reviewers)
        warnings += _review_warnings(order[:done])
        yield day, status, list(dict.fromkeys(warnings))
