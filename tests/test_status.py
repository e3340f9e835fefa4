"""Derived policy status (cases/status.py): the pure rules table-tested on invented dockets, the
database loader's query count, and the shipped seed data. No test reads the clock."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import (
    CourtLevel,
    DatePrecision,
    Disposition,
    Effect,
    LawsuitStatus,
    Policy,
    PolicyEnd,
    PublicationState,
    Ruling,
    RulingKind,
    RulingOutcome,
    RulingScope,
)
from cases.status import (
    CourtFacts,
    EffectFacts,
    JurisdictionFacts,
    LawsuitFacts,
    PolicyFacts,
    RulingFacts,
    StatusCode,
    derive,
    policy_status,
    statuses_for,
)
from tests.factories import (
    CourtFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

D = datetime.date.fromisoformat

# --- Invented courts, places and suits --------------------------------------------------------

SCOTUS = CourtFacts("scotus", "SCOTUS", CourtLevel.SUPREME)
CA9 = CourtFacts("ca9", "9th Cir.", CourtLevel.APPELLATE, SCOTUS)
CA7 = CourtFacts("ca7", "7th Cir.", CourtLevel.APPELLATE, SCOTUS)
CA2 = CourtFacts("ca2", "2d Cir.", CourtLevel.APPELLATE, SCOTUS)
CAND = CourtFacts("cand", "N.D. Cal.", CourtLevel.DISTRICT, CA9)
CACD = CourtFacts("cacd", "C.D. Cal.", CourtLevel.DISTRICT, CA9)
ILND = CourtFacts("ilnd", "N.D. Ill.", CourtLevel.DISTRICT, CA7)
NYSD = CourtFacts("nysd", "S.D.N.Y.", CourtLevel.DISTRICT, CA2)

SF = JurisdictionFacts(1, "san-francisco", "City and County of San Francisco")
SC = JurisdictionFacts(2, "santa-clara", "County of Santa Clara")
CHI = JurisdictionFacts(3, "chicago", "City of Chicago")
LA = JurisdictionFacts(4, "los-angeles", "City of Los Angeles")

SUIT_SF = LawsuitFacts(1, frozenset({SF, SC}))
SUIT_CHI = LawsuitFacts(2, frozenset({CHI}))
SUIT_LA = LawsuitFacts(3, frozenset({LA}))
SUIT_NY = LawsuitFacts(4, frozenset())
SUIT_OTHER = LawsuitFacts(5, frozenset())

POLICY = PolicyFacts(1, issued_on=D("2017-01-25"))
REVOKED = PolicyFacts(
    2,
    issued_on=D("2017-01-25"),
    ended_on=D("2021-01-20"),
    end_kind=PolicyEnd.REVOKED,
    ended_by="Executive Order 13993",
)


def ruling(
    id: int,
    court: CourtFacts,
    day: str,
    kind: str = RulingKind.PRELIMINARY_INJUNCTION,
    *,
    scope: str = RulingScope.NATIONWIDE,
    outcome: str = RulingOutcome.CHALLENGERS,
    reviews: int | None = None,
    disposition: str = Disposition.NONE,
    suits: tuple[LawsuitFacts, ...] = (SUIT_SF,),
) -> RulingFacts:
    return RulingFacts(id, court, D(day), kind, outcome, scope, reviews, disposition, suits)


def effect(r: RulingFacts, kind: str, *protected: JurisdictionFacts, detail="") -> EffectFacts:
    return EffectFacts(r, kind, frozenset(protected), detail)


# The rulings the table draws on.
PI = ruling(1, CAND, "2017-04-25")
PERMANENT = ruling(2, CAND, "2017-11-20", RulingKind.PERMANENT_INJUNCTION)
OTHER_SUIT_PI = ruling(3, CAND, "2017-06-01", suits=(SUIT_OTHER,))
AFFIRMED = ruling(10, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=1,
                  disposition=Disposition.AFFIRMED)  # fmt: skip
REVERSED = ruling(11, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=1,
                  disposition=Disposition.REVERSED, outcome=RulingOutcome.GOVERNMENT)  # fmt: skip
VACATED = ruling(12, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=1,
                 disposition=Disposition.VACATED, outcome=RulingOutcome.PROCEDURAL)  # fmt: skip
NARROWED = ruling(13, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=1,
                  disposition=Disposition.AFFIRMED_IN_PART, scope=RulingScope.REGIONAL,
                  outcome=RulingOutcome.MIXED)  # fmt: skip
EN_BANC_VACATES_REVERSAL = ruling(14, CA9, "2019-01-10", RulingKind.EN_BANC_ORDER, reviews=11,
                                  disposition=Disposition.VACATED)  # fmt: skip
SCOTUS_REVERSES_AFFIRMANCE = ruling(15, SCOTUS, "2019-06-20", RulingKind.SUPREME_COURT,
                                    reviews=10, disposition=Disposition.REVERSED,
                                    outcome=RulingOutcome.GOVERNMENT)  # fmt: skip
SCOTUS_VACATES_AFFIRMANCE = ruling(16, SCOTUS, "2019-06-20", RulingKind.SUPREME_COURT,
                                   reviews=10, disposition=Disposition.VACATED,
                                   outcome=RulingOutcome.PROCEDURAL)  # fmt: skip
SCOTUS_REVERSES_REVERSAL = ruling(17, SCOTUS, "2019-06-20", RulingKind.SUPREME_COURT,
                                  reviews=11, disposition=Disposition.REVERSED)  # fmt: skip
STAY = ruling(20, CA9, "2017-06-01", RulingKind.STAY, reviews=1, outcome=RulingOutcome.GOVERNMENT)
STAY_REFUSED = ruling(21, CAND, "2017-05-10", RulingKind.STAY, outcome=RulingOutcome.CHALLENGERS)
CHI_PI = ruling(30, ILND, "2017-09-15", suits=(SUIT_CHI,))
CHI_ONLY = ruling(31, ILND, "2017-09-15", scope=RulingScope.PLAINTIFFS, suits=(SUIT_CHI,))
CHI_STAY = ruling(32, CA7, "2018-06-26", RulingKind.STAY, reviews=30, suits=(SUIT_CHI,))
LA_BLOCK = ruling(40, CACD, "2018-04-11", RulingKind.PERMANENT_INJUNCTION, suits=(SUIT_LA,))
CA9_UPHOLDS_ELSEWHERE = ruling(41, CA9, "2019-07-12", RulingKind.APPELLATE_OPINION,
                               outcome=RulingOutcome.GOVERNMENT, suits=(SUIT_OTHER,))  # fmt: skip
CACD_UPHOLDS = ruling(42, CACD, "2018-09-01", RulingKind.SUMMARY_JUDGMENT,
                      outcome=RulingOutcome.GOVERNMENT, scope=RulingScope.NONE,
                      suits=(SUIT_OTHER,))  # fmt: skip
NY_BLOCK = ruling(50, NYSD, "2018-11-30", RulingKind.PERMANENT_INJUNCTION, suits=(SUIT_NY,))
CA2_REVERSES = ruling(51, CA2, "2020-02-26", RulingKind.APPELLATE_OPINION, reviews=50,
                      disposition=Disposition.REVERSED, outcome=RulingOutcome.GOVERNMENT,
                      suits=(SUIT_NY,))  # fmt: skip
SCOTUS_UPHOLDS = ruling(60, SCOTUS, "2020-06-01", RulingKind.SUPREME_COURT,
                        outcome=RulingOutcome.GOVERNMENT, suits=(SUIT_OTHER,))  # fmt: skip
DISMISSAL = ruling(70, CAND, "2017-08-21", RulingKind.DISMISSAL, scope=RulingScope.NONE,
                   outcome=RulingOutcome.GOVERNMENT, suits=(SUIT_OTHER,))  # fmt: skip


@dataclass(frozen=True)
class Case:
    description: str
    effects: tuple[EffectFacts, ...]
    as_of: str
    code: StatusCode
    protected: frozenset[JurisdictionFacts] = frozenset()
    controlling: tuple[int, ...] | None = None  # ruling ids, by date; None: not checked
    rulings: tuple[RulingFacts, ...] = ()  # rulings with no effect on the policy
    policy: PolicyFacts = POLICY
    conflicts: tuple[int, ...] = field(default=())


CASES = [
    Case("nothing ruled yet", (), "2017-03-01", StatusCode.IN_FORCE, controlling=()),
    Case("before issuance", (effect(PI, Effect.BLOCKS),), "2017-01-24", StatusCode.NOT_YET_ISSUED),
    Case(
        "as of a day before any ruling",
        (effect(PI, Effect.BLOCKS),),
        "2017-04-24",
        StatusCode.IN_FORCE,
        controlling=(),
    ),
    Case(
        "nationwide block",
        (effect(PI, Effect.BLOCKS),),
        "2017-04-25",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1,),
    ),
    Case(
        "plaintiff-only block, protected jurisdictions recorded",
        (effect(CHI_ONLY, Effect.BLOCKS, CHI),),
        "2017-10-01",
        StatusCode.BLOCKED_PARTLY,
        frozenset({CHI}),
        (31,),
    ),
    Case(
        "plaintiff-only block, none recorded: the suit's plaintiffs are protected",
        (effect(CHI_ONLY, Effect.BLOCKS),),
        "2017-10-01",
        StatusCode.BLOCKED_PARTLY,
        frozenset({CHI}),
    ),
    Case(
        "declining to block changes nothing",
        (effect(DISMISSAL, Effect.DECLINES),),
        "2017-09-01",
        StatusCode.IN_FORCE,
    ),
    Case(
        "a permanent injunction takes the place of the preliminary one",
        (effect(PI, Effect.BLOCKS), effect(PERMANENT, Effect.BLOCKS)),
        "2017-11-27",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(2,),
    ),
    Case(
        "blocks from two suits in one court both stand",
        (effect(PI, Effect.BLOCKS), effect(OTHER_SUIT_PI, Effect.BLOCKS)),
        "2017-07-01",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1, 3),
    ),
    Case(
        "block then affirmed",
        (effect(PI, Effect.BLOCKS), effect(AFFIRMED, Effect.KEEPS_BLOCK)),
        "2018-08-02",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1, 10),
    ),
    Case(
        "block then reversed on appeal",
        (effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)),
        "2018-08-02",
        StatusCode.UPHELD,
        controlling=(11,),
    ),
    Case(
        "block, reversal not yet decided on as_of",
        (effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)),
        "2018-07-31",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1,),
    ),
    Case(
        "block narrowed on appeal to the plaintiffs (the 9th Cir. 2018 pattern)",
        (effect(PI, Effect.BLOCKS), effect(NARROWED, Effect.NARROWS_BLOCK, SF, SC)),
        "2018-08-02",
        StatusCode.BLOCKED_PARTLY,
        frozenset({SF, SC}),
        (1, 13),
    ),
    Case(
        "vacated ruling, the vacating ruling records no effect of its own",
        (effect(PI, Effect.BLOCKS),),
        "2018-08-02",
        StatusCode.IN_FORCE,
        controlling=(),
        rulings=(VACATED,),
    ),
    Case(
        "en banc court vacates the panel's reversal: the district block stands again",
        (effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)),
        "2019-01-10",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1,),
        rulings=(EN_BANC_VACATES_REVERSAL,),
    ),
    Case(
        "panel reversal holds until the en banc court vacates it",
        (effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)),
        "2019-01-09",
        StatusCode.UPHELD,
        rulings=(EN_BANC_VACATES_REVERSAL,),
    ),
    Case(
        "a reversal that is itself reversed revives the block",
        (effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)),
        "2019-06-20",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1,),
        rulings=(SCOTUS_REVERSES_REVERSAL,),
    ),
    Case(
        "reversing an affirmance brings down what it affirmed",
        (effect(PI, Effect.BLOCKS), effect(AFFIRMED, Effect.KEEPS_BLOCK)),
        "2019-06-20",
        StatusCode.IN_FORCE,
        controlling=(),
        rulings=(SCOTUS_REVERSES_AFFIRMANCE,),
    ),
    Case(
        "vacating an affirmance leaves the district block standing",
        (effect(PI, Effect.BLOCKS), effect(AFFIRMED, Effect.KEEPS_BLOCK)),
        "2019-06-20",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1,),
        rulings=(SCOTUS_VACATES_AFFIRMANCE,),
    ),
    Case(
        "stay pending appeal suspends the block",
        (effect(PI, Effect.BLOCKS), effect(STAY, Effect.LIFTS_BLOCK)),
        "2017-06-01",
        StatusCode.BLOCK_STAYED,
        controlling=(1, 20),
    ),
    Case(
        "a stay ends when the appeal is decided",
        (
            effect(PI, Effect.BLOCKS),
            effect(STAY, Effect.LIFTS_BLOCK),
            effect(AFFIRMED, Effect.KEEPS_BLOCK),
        ),
        "2018-08-01",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1, 10),
    ),
    Case(
        "a stay refused keeps the block, and controls it",
        (effect(PI, Effect.BLOCKS), effect(STAY_REFUSED, Effect.KEEPS_BLOCK)),
        "2017-05-10",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(1, 21),
    ),
    Case(
        "a stay of the nationwide reach leaves the plaintiff protected",
        (effect(CHI_PI, Effect.BLOCKS), effect(CHI_STAY, Effect.NARROWS_BLOCK, CHI)),
        "2018-07-01",
        StatusCode.BLOCKED_PARTLY,
        frozenset({CHI}),
        (30, 32),
    ),
    Case(
        "a later 9th Cir. ruling for the government lifts a 9th Cir. district's block",
        (effect(LA_BLOCK, Effect.BLOCKS), effect(CA9_UPHOLDS_ELSEWHERE, Effect.UPHOLDS)),
        "2019-07-13",
        StatusCode.UPHELD,
        controlling=(41,),
    ),
    Case(
        "a 9th Cir. ruling for the government leaves a 7th Cir. district's block",
        (effect(CHI_PI, Effect.BLOCKS), effect(CA9_UPHOLDS_ELSEWHERE, Effect.UPHOLDS)),
        "2019-07-13",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(30,),
        conflicts=(41,),
    ),
    Case(
        "conflicting circuits: 2d Cir. upholds, a 7th Cir. district's nationwide block stands",
        (
            effect(CHI_PI, Effect.BLOCKS),
            effect(NY_BLOCK, Effect.BLOCKS),
            effect(CA2_REVERSES, Effect.UPHOLDS),
        ),
        "2020-03-01",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(30,),
        conflicts=(51,),
    ),
    Case(
        "a district court does not lift another district court's block",
        (effect(LA_BLOCK, Effect.BLOCKS), effect(CACD_UPHOLDS, Effect.UPHOLDS)),
        "2018-09-02",
        StatusCode.BLOCKED_NATIONWIDE,
        controlling=(40,),
        conflicts=(42,),
    ),
    Case(
        "the Supreme Court upholding lifts every block",
        (
            effect(CHI_PI, Effect.BLOCKS),
            effect(LA_BLOCK, Effect.BLOCKS),
            effect(SCOTUS_UPHOLDS, Effect.UPHOLDS),
        ),
        "2020-06-01",
        StatusCode.UPHELD,
        controlling=(60,),
    ),
    Case(
        "revoked policy: ended whatever the rulings",
        (effect(PI, Effect.BLOCKS), effect(NARROWED, Effect.NARROWS_BLOCK, SF, SC)),
        "2026-11-28",
        StatusCode.ENDED,
        controlling=(),
        policy=REVOKED,
    ),
    Case(
        "revoked policy, the day before revocation",
        (effect(PI, Effect.BLOCKS), effect(NARROWED, Effect.NARROWS_BLOCK, SF, SC)),
        "2021-01-19",
        StatusCode.BLOCKED_PARTLY,
        frozenset({SF, SC}),
        policy=REVOKED,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.description for c in CASES])
def test_derive(case: Case) -> None:
    status = derive(case.policy, case.effects, D(case.as_of), case.rulings)
    assert status.code == case.code
    assert set(status.protected) == case.protected
    if case.controlling is not None:
        assert tuple(r.id for r in status.controlling) == case.controlling
    assert tuple(r.id for r in status.conflicts) == case.conflicts
    assert status.as_of == D(case.as_of)
    assert status.label
    assert status.headline.endswith(".")


# --- Wording, appeals, history and warnings --------------------------------------------------

APPEAL_OF_PERMANENT = ruling(80, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=2,
                             disposition=Disposition.AFFIRMED)  # fmt: skip


def test_the_headline_names_the_controlling_ruling_and_the_pending_appeal() -> None:
    status = derive(
        POLICY, [effect(PERMANENT, Effect.BLOCKS)], D("2018-02-01"), [APPEAL_OF_PERMANENT]
    )
    assert status.headline == (
        "Blocked nationwide by the N.D. Cal. permanent injunction of 20 Nov 2017; "
        "appeal pending in the 9th Cir."
    )
    assert status.appeal is not None
    assert (status.appeal.court, status.appeal.from_ruling, status.appeal.pending) == (
        CA9,
        PERMANENT,
        True,
    )


def test_an_appeal_is_not_called_pending_before_the_time_to_take_it_ran_out() -> None:
    status = derive(
        POLICY, [effect(PERMANENT, Effect.BLOCKS)], D("2017-11-27"), [APPEAL_OF_PERMANENT]
    )
    assert status.appeal is not None and not status.appeal.pending
    assert status.headline.endswith("; appealed to the 9th Cir. (date of notice not recorded).")


def test_without_evidence_of_an_appeal_none_is_claimed() -> None:
    status = derive(POLICY, [effect(PERMANENT, Effect.BLOCKS)], D("2018-02-01"))
    assert status.appeal is None
    assert "appeal" not in status.headline


def test_a_lawsuit_marked_on_appeal_is_evidence_once_its_latest_ruling_is_known() -> None:
    suit = LawsuitFacts(9, frozenset({SF}), on_appeal=True, last_ruling_on=D("2017-11-20"))
    permanent = ruling(2, CAND, "2017-11-20", RulingKind.PERMANENT_INJUNCTION, suits=(suit,))
    status = derive(POLICY, [effect(permanent, Effect.BLOCKS)], D("2018-03-01"))
    assert status.appeal is not None
    assert status.appeal.court == CA9 and status.appeal.pending


def test_a_lawsuit_on_appeal_from_a_later_ruling_says_nothing_about_an_earlier_day() -> None:
    suit = LawsuitFacts(9, frozenset({SF}), on_appeal=True, last_ruling_on=D("2019-05-01"))
    permanent = ruling(2, CAND, "2017-11-20", RulingKind.PERMANENT_INJUNCTION, suits=(suit,))
    assert derive(POLICY, [effect(permanent, Effect.BLOCKS)], D("2018-03-01")).appeal is None


def test_the_headline_names_conflicting_rulings() -> None:
    effects = [effect(CHI_PI, Effect.BLOCKS), effect(CA9_UPHOLDS_ELSEWHERE, Effect.UPHOLDS)]
    status = derive(POLICY, effects, D("2019-07-13"))
    assert status.headline == (
        "Blocked nationwide by the N.D. Ill. preliminary injunction of 15 Sep 2017; "
        "the 9th Cir. opinion of 12 Jul 2019 upheld it (conflicting rulings)."
    )


def test_the_headline_of_a_narrowed_block_names_whom_it_protects() -> None:
    effects = [effect(PI, Effect.BLOCKS), effect(NARROWED, Effect.NARROWS_BLOCK, SF, SC)]
    assert derive(POLICY, effects, D("2018-08-02")).headline == (
        "Blocked for City and County of San Francisco and County of Santa Clara by the "
        "N.D. Cal. preliminary injunction of 25 Apr 2017, narrowed by the 9th Cir. opinion "
        "of 1 Aug 2018."
    )


def test_an_upheld_policy_names_the_ruling_it_reversed() -> None:
    effects = [effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)]
    assert derive(POLICY, effects, D("2018-08-02")).headline == (
        "Upheld by the 9th Cir. opinion of 1 Aug 2018, which reversed the N.D. Cal. "
        "preliminary injunction of 25 Apr 2017."
    )


def test_a_stayed_block_is_reported_as_stayed() -> None:
    effects = [effect(PI, Effect.BLOCKS), effect(STAY, Effect.LIFTS_BLOCK)]
    status = derive(POLICY, effects, D("2017-06-02"))
    assert status.headline == (
        "In force: the N.D. Cal. preliminary injunction of 25 Apr 2017 is stayed by the "
        "9th Cir. order on a stay of 1 Jun 2017."
    )
    assert status.blocks[0].suspended and status.blocks[0].stayed_by == STAY


def test_a_vacated_block_is_explained() -> None:
    status = derive(POLICY, [effect(PI, Effect.BLOCKS)], D("2018-08-02"), [VACATED])
    assert status.headline == (
        "In force; the N.D. Cal. preliminary injunction of 25 Apr 2017 was vacated by the "
        "9th Cir. opinion of 1 Aug 2018."
    )


def test_a_revoked_policy_keeps_its_last_court_status() -> None:
    effects = [effect(PI, Effect.BLOCKS), effect(NARROWED, Effect.NARROWS_BLOCK, SF, SC)]
    status = derive(REVOKED, effects, D("2026-11-28"))
    assert status.label == "Revoked"
    assert status.headline == (
        "Revoked on 20 Jan 2021 by Executive Order 13993. Last court status: blocked for "
        "City and County of San Francisco and County of Santa Clara by the N.D. Cal. "
        "preliminary injunction of 25 Apr 2017, narrowed by the 9th Cir. opinion of "
        "1 Aug 2018."
    )
    assert [(c.date, c.code) for c in status.history] == [
        (D("2017-01-25"), StatusCode.IN_FORCE),
        (D("2017-04-25"), StatusCode.BLOCKED_NATIONWIDE),
        (D("2018-08-01"), StatusCode.BLOCKED_PARTLY),
        (D("2021-01-20"), StatusCode.ENDED),
    ]


def test_history_lists_each_change_with_the_rulings_of_that_day() -> None:
    effects = [
        effect(PI, Effect.BLOCKS),
        effect(STAY, Effect.LIFTS_BLOCK),
        effect(DISMISSAL, Effect.DECLINES),
        effect(REVERSED, Effect.LIFTS_BLOCK),
    ]
    history = derive(POLICY, effects, D("2019-01-10"), [EN_BANC_VACATES_REVERSAL]).history
    assert [(c.date, c.code, tuple(r.id for r in c.rulings)) for c in history] == [
        (D("2017-01-25"), StatusCode.IN_FORCE, ()),
        (D("2017-04-25"), StatusCode.BLOCKED_NATIONWIDE, (1,)),
        (D("2017-06-01"), StatusCode.BLOCK_STAYED, (20,)),
        # The dismissal in another suit (21 Aug 2017) changed nothing, so it is no entry.
        (D("2018-08-01"), StatusCode.UPHELD, (11,)),
        # Vacating the panel puts the appeal back before the court, so the block returns
        # together with the stay pending that appeal.
        (D("2019-01-10"), StatusCode.BLOCK_STAYED, (14,)),
    ]


def test_history_stops_at_as_of() -> None:
    effects = [effect(PI, Effect.BLOCKS), effect(REVERSED, Effect.LIFTS_BLOCK)]
    history = derive(POLICY, effects, D("2018-01-01")).history
    assert history[-1].date == D("2017-04-25")


def test_an_issue_date_known_to_the_month_is_not_shown_to_the_day() -> None:
    policy = PolicyFacts(3, issued_on=D("2017-05-01"), issued_on_precision=DatePrecision.MONTH)
    status = derive(policy, (), D("2017-04-30"))
    assert status.headline == "Not yet issued (issued May 2017)."
    assert status.history == ()


def test_stay_wording_in_free_text_is_not_read_but_flagged() -> None:
    stayed = effect(PERMANENT, Effect.BLOCKS, detail="the injunction was stayed when entered")
    status = derive(POLICY, [stayed], D("2018-01-01"))
    assert status.code == StatusCode.BLOCKED_NATIONWIDE
    assert any("kind 'stay'" in w for w in status.warnings)


def test_a_review_without_disposition_is_flagged() -> None:
    review = ruling(90, CA9, "2018-08-01", RulingKind.APPELLATE_OPINION, reviews=1)
    effects = [effect(PI, Effect.BLOCKS), effect(review, Effect.KEEPS_BLOCK)]
    status = derive(POLICY, effects, D("2018-08-02"))
    assert status.code == StatusCode.BLOCKED_NATIONWIDE
    assert any("no disposition" in w for w in status.warnings)


def test_a_confirmation_with_nothing_to_confirm_is_flagged() -> None:
    status = derive(POLICY, [effect(AFFIRMED, Effect.KEEPS_BLOCK)], D("2018-08-02"))
    assert status.code == StatusCode.IN_FORCE
    assert any("no block it could act on" in w for w in status.warnings)


def test_a_review_cycle_in_bad_data_does_not_hang() -> None:
    a = ruling(1, CAND, "2017-04-25", reviews=2, disposition=Disposition.VACATED)
    b = ruling(2, CA9, "2017-04-25", reviews=1, disposition=Disposition.VACATED)
    status = derive(
        POLICY, [effect(a, Effect.BLOCKS), effect(b, Effect.KEEPS_BLOCK)], D("2018-01-01")
    )
    assert status.code in StatusCode.values


# --- The database loader -------------------------------------------------------------------------


def make_disputed_policy(cand, ca9) -> Policy:
    """A policy blocked nationwide by a district court, narrowed on appeal, with a draft ruling."""
    policy = PolicyFactory(issued_on=datetime.date(2017, 1, 25))
    plaintiff = JurisdictionFactory()
    suit = LawsuitFactory(court=cand, plaintiffs=[plaintiff], policies=[policy])
    block = RulingFactory(court=cand, decided_on=datetime.date(2017, 4, 25), lawsuits=[suit])
    appeal = RulingFactory(
        court=ca9,
        decided_on=datetime.date(2018, 8, 1),
        kind=RulingKind.APPELLATE_OPINION,
        outcome=RulingOutcome.MIXED,
        scope=RulingScope.REGIONAL,
        reviews=block,
        disposition=Disposition.AFFIRMED_IN_PART,
        lawsuits=[suit],
    )
    draft = RulingFactory(
        court=ca9,
        decided_on=datetime.date(2019, 1, 1),
        kind=RulingKind.EN_BANC_ORDER,
        reviews=appeal,
        disposition=Disposition.VACATED,
        publication_state=PublicationState.DRAFT,
        lawsuits=[suit],
    )
    RulingEffectFactory(ruling=block, policy=policy, effect=Effect.BLOCKS)
    RulingEffectFactory(ruling=appeal, policy=policy, effect=Effect.NARROWS_BLOCK)  # none named
    RulingEffectFactory(ruling=draft, policy=policy, effect=Effect.KEEPS_BLOCK)
    return policy


@pytest.fixture
def circuit(db):
    ca9 = CourtFactory(id="tca9", level=CourtLevel.APPELLATE, citation_string="9th Cir.")
    cand = CourtFactory(id="tcand", appeals_to=ca9, citation_string="N.D. Cal.")
    return cand, ca9


def count_queries(policies: list[Policy], as_of: datetime.date) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        result = statuses_for(policies, as_of)
    return len(ctx.captured_queries), result


def test_statuses_for_reads_the_same_number_of_queries_for_one_or_ten_policies(circuit) -> None:
    policies = [make_disputed_policy(*circuit) for _ in range(10)]
    one, _ = count_queries(policies[:1], datetime.date(2019, 6, 1))
    ten, result = count_queries(policies, datetime.date(2019, 6, 1))
    assert one == ten <= 6
    assert {s.code for s in result.values()} == {StatusCode.BLOCKED_PARTLY}


def test_statuses_for_reads_the_database_as_derive_expects(circuit) -> None:
    policy = make_disputed_policy(*circuit)
    status = policy_status(policy, datetime.date(2019, 6, 1))
    plaintiffs = list(policy.lawsuits.get().plaintiffs.all())
    # The narrowing names nobody, so the suit's plaintiffs are protected; the draft en banc
    # order counts for nothing.
    assert status.code == StatusCode.BLOCKED_PARTLY
    assert [j.slug for j in status.protected] == [j.slug for j in plaintiffs]
    assert [r.decided_on for r in status.controlling] == [
        datetime.date(2017, 4, 25),
        datetime.date(2018, 8, 1),
    ]
    assert status.controlling[0].get_absolute_url() == f"/rulings/{status.controlling[0].id}/"
    assert policy_status(policy, datetime.date(2017, 5, 1)).code == StatusCode.BLOCKED_NATIONWIDE


def test_a_later_appeal_is_found_in_the_database(circuit) -> None:
    policy = make_disputed_policy(*circuit)
    status = policy_status(policy, datetime.date(2017, 12, 1))
    assert status.code == StatusCode.BLOCKED_NATIONWIDE
    assert status.appeal is not None and status.appeal.court.id == "tca9"
    assert status.headline.endswith("; appeal pending in the 9th Cir.")


def test_a_lawsuit_marked_on_appeal_is_read(circuit) -> None:
    cand, _ = circuit
    policy = PolicyFactory()
    suit = LawsuitFactory(court=cand, status=LawsuitStatus.ON_APPEAL, policies=[policy])
    block = RulingFactory(court=cand, decided_on=datetime.date(2017, 9, 1), lawsuits=[suit])
    RulingEffectFactory(ruling=block, policy=policy, effect=Effect.BLOCKS)
    status = policy_status(policy, datetime.date(2018, 1, 1))
    assert status.appeal is not None and status.appeal.pending


def test_no_policies_no_queries(db, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert statuses_for([], datetime.date(2020, 1, 1)) == {}


# --- The seed data --------------------------------------------------------------------------------

NOV_27_2017 = datetime.date(2017, 11, 27)
TODAY = datetime.date(2026, 11, 28)  # a fixed "today": tests never read the clock


def seeded_ruling(court: str, day: str) -> Ruling:
    """The court's ruling of that day (not a stay of it entered the same day)."""
    rulings = Ruling.objects.filter(court_id=court, decided_on=D(day))
    return rulings.get() if rulings.count() == 1 else rulings.exclude(kind=RulingKind.STAY).get()


def ids(rulings) -> list[int]:
    return [r.id for r in rulings]


@pytest.fixture
def seeded_policies(seeded) -> dict[str, Policy]:
    return {p.slug: p for p in Policy.objects.all()}


def test_lists_get_the_same_status_without_the_history(seeded_policies) -> None:
    policies = list(seeded_policies.values())
    full = statuses_for(policies, TODAY, with_history=True)
    brief = statuses_for(policies, TODAY)
    for policy in policies:
        assert brief[policy.pk].headline == full[policy.pk].headline
        assert brief[policy.pk].code == full[policy.pk].code
        assert brief[policy.pk].history == ()
    assert any(status.history for status in full.values())


@pytest.mark.parametrize("as_of", [D("2017-01-01"), NOV_27_2017, D("2019-07-13"), TODAY])
def test_every_seeded_policy_has_a_coherent_status(seeded_policies, as_of) -> None:
    policies = list(seeded_policies.values())
    statuses = statuses_for(policies, as_of, with_history=True)
    assert set(statuses) == {p.pk for p in policies}
    for policy in policies:
        status = statuses[policy.pk]
        assert status.code in StatusCode.values
        assert status.headline.endswith(".")
        assert all(r.decided_on <= as_of for r in status.controlling)
        assert [c.date for c in status.history] == sorted(c.date for c in status.history)
        assert all(policy.issued_on <= c.date <= as_of for c in status.history)
        if as_of < policy.issued_on:
            assert status.code == StatusCode.NOT_YET_ISSUED


def test_seeded_statuses_read_a_constant_number_of_queries(seeded_policies) -> None:
    policies = list(seeded_policies.values())
    one, _ = count_queries(policies[:1], TODAY)
    every, _ = count_queries(policies, TODAY)
    assert one == every <= 6


def test_seeded_eo_13768_on_the_day_of_the_article(seeded_policies) -> None:
    status = policy_status(seeded_policies["eo-13768-sec-9a"], NOV_27_2017)
    permanent = seeded_ruling("cand", "2017-11-20")
    assert status.code == StatusCode.BLOCKED_NATIONWIDE
    assert ids(status.controlling) == [permanent.pk]
    # The 9th Cir. decided the appeal later; a week after the ruling the notice date is unknown.
    assert status.appeal is not None and status.appeal.court.id == "ca9"
    assert not status.appeal.pending
    assert status.headline == (
        "Blocked nationwide by the N.D. Cal. permanent injunction of 20 Nov 2017; "
        "appealed to the 9th Cir. (date of notice not recorded)."
    )


def test_seeded_eo_13768_after_the_ninth_circuit(seeded_policies) -> None:
    status = policy_status(seeded_policies["eo-13768-sec-9a"], D("2018-08-02"))
    assert status.code == StatusCode.BLOCKED_PARTLY
    assert [j.slug for j in status.protected] == ["san-francisco-ca", "santa-clara-county-ca"]
    assert ids(status.controlling) == [
        seeded_ruling("cand", "2017-11-20").pk,
        seeded_ruling("ca9", "2018-08-01").pk,
    ]


def test_seeded_eo_13768_today(seeded_policies) -> None:
    status = policy_status(seeded_policies["eo-13768-sec-9a"], TODAY)
    assert status.code == StatusCode.ENDED
    assert status.headline.startswith(
        "Revoked on 20 Jan 2021 by Executive Order 13993 (86 Fed. Reg. 7051). "
        "Last court status: blocked for City and County of San Francisco and County of "
        "Santa Clara"
    )
    assert [(c.date, c.code) for c in status.history] == [
        (D("2017-01-25"), StatusCode.IN_FORCE),
        (D("2017-04-25"), StatusCode.BLOCKED_NATIONWIDE),  # preliminary injunction
        (D("2017-07-20"), StatusCode.BLOCKED_NATIONWIDE),  # reconsideration denied
        (D("2017-11-20"), StatusCode.BLOCKED_NATIONWIDE),  # permanent injunction
        (D("2018-08-01"), StatusCode.BLOCKED_PARTLY),  # 9th Cir. narrows to the plaintiffs
        (D("2021-01-20"), StatusCode.ENDED),
    ]


def test_seeded_byrne_jag_on_the_day_of_the_article(seeded_policies) -> None:
    status = policy_status(seeded_policies["byrne-jag-fy2017-conditions"], NOV_27_2017)
    chicago_pi = seeded_ruling("ilnd", "2017-09-15")
    stay_refused = seeded_ruling("ilnd", "2017-10-13")
    philadelphia_pi = seeded_ruling("paed", "2017-11-15")
    assert status.code == StatusCode.BLOCKED_NATIONWIDE
    assert ids(status.controlling) == [chicago_pi.pk, stay_refused.pk]
    partial = [b for b in status.blocks if not b.nationwide]
    assert [b.source.id for b in partial] == [philadelphia_pi.pk]
    assert [j.slug for j in partial[0].protected] == ["philadelphia-pa"]
    # The 7th Cir. decided the appeal in April 2018; by now the time to appeal had run out.
    assert status.appeal is not None and status.appeal.pending
    assert status.headline == (
        "Blocked nationwide by the N.D. Ill. preliminary injunction of 15 Sep 2017, kept in "
        "force by the N.D. Ill. order on a stay of 13 Oct 2017; also blocked for City of "
        "Philadelphia by the E.D. Pa. preliminary injunction of 15 Nov 2017; appeal pending "
        "in the 7th Cir."
    )


def test_seeded_byrne_jag_today_is_blocked_only_where_that_is_confirmed(seeded_policies) -> None:
    """The N.D. Ill. permanent injunction of 27 Jul 2018 was stayed when entered (recorded as
    its own stay ruling), and the 7th Cir.'s 2020 review is confirmed only for Chicago: the
    status lists the places certainly protected and never claims a nationwide block."""
    status = policy_status(seeded_policies["byrne-jag-fy2017-conditions"], TODAY)
    permanent = seeded_ruling("ilnd", "2018-07-27")
    assert status.code == StatusCode.BLOCKED_PARTLY
    protected = {b.source.id: sorted(j.slug for j in b.protected) for b in status.blocks}
    assert protected == {
        permanent.pk: ["chicago-il"],
        seeded_ruling("paed", "2018-06-06").pk: ["philadelphia-pa"],
        seeded_ruling("cand", "2018-10-05").pk: ["california", "san-francisco-ca"],
    }
    assert "nationwide" not in status.headline
    assert not any("effect says" in w for w in status.warnings)


def test_seeded_byrne_jag_while_the_chicago_injunction_was_stayed(seeded_policies) -> None:
    status = policy_status(seeded_policies["byrne-jag-fy2017-conditions"], D("2018-08-01"))
    assert status.code == StatusCode.BLOCKED_PARTLY
    assert [b.source.id for b in status.blocks if not b.suspended] == [
        seeded_ruling("paed", "2018-06-06").pk
    ]


@pytest.mark.parametrize(
    ("as_of", "code", "controlling"),
    [
        (NOV_27_2017, StatusCode.IN_FORCE, []),
        (D("2018-05-01"), StatusCode.BLOCKED_NATIONWIDE, [("cacd", "2018-04-11")]),
        (D("2019-07-13"), StatusCode.UPHELD, [("ca9", "2019-07-12")]),
        (TODAY, StatusCode.UPHELD, [("ca9", "2019-07-12")]),
    ],
)
def test_seeded_cops_preference(seeded_policies, as_of, code, controlling) -> None:
    status = policy_status(seeded_policies["cops-fy2017-preference"], as_of)
    assert status.code == code
    assert ids(status.controlling) == [seeded_ruling(*r).pk for r in controlling]


def test_seeded_cops_preference_upheld_headline(seeded_policies) -> None:
    status = policy_status(seeded_policies["cops-fy2017-preference"], D("2019-07-13"))
    assert status.headline == (
        "Upheld by the 9th Cir. opinion of 12 Jul 2019, which reversed the C.D. Cal. "
        "permanent injunction of 11 Apr 2018."
    )


@pytest.mark.parametrize(
    "slug",
    [
        "ag-memo-eo-13768-sec-9a",
        "doj-letters-2017-04-21",
        "doj-letters-2017-08-03",
        "doj-letters-2017-10-12",
        "doj-letters-2017-11-15",
        "cops-fy2017-awards",
    ],
)
def test_seeded_policies_no_court_ruled_on_are_in_force(seeded_policies, slug) -> None:
    for as_of in (NOV_27_2017, TODAY):
        status = policy_status(seeded_policies[slug], as_of)
        assert status.code == StatusCode.IN_FORCE
        assert status.headline == "In force; no court has blocked it."
