"""Derived policy status: the pure rules (cases/status/core.py) table-tested on invented dockets,
and the database loader (cases/status/loader.py). No test reads the clock."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import (
    CourtLevel,
    Disposition,
    Effect,
    Holding,
    LawsuitStatus,
    PolicyEnd,
    PolicyKind,
    PublicationState,
    Reach,
    RulingKind,
    RulingOutcome,
)
from cases.status import (
    CourtFacts,
    EffectFacts,
    JurisdictionFacts,
    LawsuitFacts,
    PartFacts,
    PolicyFacts,
    ReachFacts,
    RulingFacts,
    StatusCode,
    derive,
    statuses_for,
)
from tests.factories import (
    CourtFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    PolicyPartFactory,
    RulingEffectFactory,
    RulingFactory,
)

D = datetime.date.fromisoformat

SCOTUS = CourtFacts("scotus", "SCOTUS", CourtLevel.SUPREME)
CA2 = CourtFacts("ca2", "2d Cir.", CourtLevel.APPELLATE, SCOTUS)
CA3 = CourtFacts("ca3", "3d Cir.", CourtLevel.APPELLATE, SCOTUS)
CA7 = CourtFacts("ca7", "7th Cir.", CourtLevel.APPELLATE, SCOTUS)
CA9 = CourtFacts("ca9", "9th Cir.", CourtLevel.APPELLATE, SCOTUS)
CAND = CourtFacts("cand", "N.D. Cal.", CourtLevel.DISTRICT, CA9)
ILND = CourtFacts("ilnd", "N.D. Ill.", CourtLevel.DISTRICT, CA7)
NYSD = CourtFacts("nysd", "S.D.N.Y.", CourtLevel.DISTRICT, CA2)
PAED = CourtFacts("paed", "E.D. Pa.", CourtLevel.DISTRICT, CA3)

CHI = JurisdictionFacts(1, "chicago", "City of Chicago")
PHL = JurisdictionFacts(2, "philadelphia", "City of Philadelphia")
SF = JurisdictionFacts(3, "san-francisco", "City and County of San Francisco")
NY = JurisdictionFacts(4, "new-york", "State of New York")

SUIT_CHI = LawsuitFacts(1, "City of Chicago v. Sessions")
SUIT_PHL = LawsuitFacts(2, "City of Philadelphia v. Sessions")
SUIT_SF = LawsuitFacts(3, "San Francisco v. Sessions")
SUIT_NY = LawsuitFacts(4, "New York v. DOJ")

NOTICE, ACCESS, S1373 = (
    PartFacts("notice", "notice condition"),
    PartFacts("access", "access condition"),
    PartFacts("section-1373", "§ 1373 condition"),
)
CONDITIONS = PolicyFacts(1, D("2017-07-25"), parts=(NOTICE, ACCESS, S1373))
ORDER = PolicyFacts(2, D("2017-01-25"), kind=PolicyKind.EXECUTIVE_ORDER)

NATIONWIDE = ReachFacts(Reach.NATIONWIDE)
CALIFORNIA = ReachFacts(Reach.STATES, ("CA",))


def only(*jurisdictions: JurisdictionFacts) -> ReachFacts:
    return ReachFacts(Reach.JURISDICTIONS, (), frozenset(jurisdictions))


def ruling(id, court, day, kind=RulingKind.PRELIMINARY_INJUNCTION, suit=SUIT_CHI, **kw):
    return RulingFacts(id, court, D(day), kind, lawsuits=(suit,), **kw)


def effect(r, kind, *parts, reach=None, stays=None, ends=None, holding=""):
    return EffectFacts(
        r,
        kind,
        frozenset(p.slug for p in parts),
        reach or ReachFacts(Reach.NOBODY),
        stays,
        D(ends) if ends else None,
        holding,
    )


# Invented dockets modelled on the Byrne JAG litigation.
CHI_PI = ruling(1, ILND, "2017-09-15")
CHI_APPEAL = ruling(
    2, CA7, "2018-04-19", RulingKind.APPELLATE_OPINION, reviews_id=1, disposition="affirmed"
)
CHI_EN_BANC_STAY = ruling(3, CA7, "2018-06-26", RulingKind.STAY)
CHI_FINAL = ruling(4, ILND, "2018-07-27", RulingKind.PERMANENT_INJUNCTION)
CHI_FINAL_STAY = ruling(5, ILND, "2018-07-27", RulingKind.STAY)
CHI_FINAL_APPEAL = ruling(
    6, CA7, "2020-04-30", RulingKind.APPELLATE_OPINION, reviews_id=4, disposition="affirmed"
)
PHL_FINAL = ruling(10, PAED, "2018-06-06", RulingKind.PERMANENT_INJUNCTION, suit=SUIT_PHL)
PHL_APPEAL = ruling(
    11, CA3, "2019-02-15", RulingKind.APPELLATE_OPINION, suit=SUIT_PHL, reviews_id=10,
    disposition="affirmed_in_part",
)  # fmt: skip
SF_FINAL = ruling(20, CAND, "2018-10-05", RulingKind.PERMANENT_INJUNCTION, suit=SUIT_SF)
SF_APPEAL = ruling(
    21, CA9, "2020-07-13", RulingKind.APPELLATE_OPINION, suit=SUIT_SF, reviews_id=20,
    disposition="affirmed_in_part",
)  # fmt: skip
NY_FINAL = ruling(30, NYSD, "2018-11-30", RulingKind.PERMANENT_INJUNCTION, suit=SUIT_NY)
NY_REVERSED = ruling(
    31, CA2, "2020-02-26", RulingKind.APPELLATE_OPINION, suit=SUIT_NY, reviews_id=30,
    disposition="reversed", outcome=RulingOutcome.GOVERNMENT,
)  # fmt: skip

BYRNE_RECORD = (
    effect(CHI_PI, Effect.BLOCKS, NOTICE, ACCESS, reach=NATIONWIDE),
    effect(CHI_PI, Effect.DECLINES, S1373),
    effect(CHI_APPEAL, Effect.KEEPS_BLOCK, NOTICE, ACCESS, holding=Holding.UNLAWFUL),
    effect(CHI_EN_BANC_STAY, Effect.STAYS, NOTICE, ACCESS, reach=only(CHI), stays=1),
    effect(CHI_FINAL, Effect.BLOCKS, reach=NATIONWIDE),
    effect(CHI_FINAL_STAY, Effect.STAYS, reach=only(CHI), stays=4),
    effect(CHI_FINAL_APPEAL, Effect.KEEPS_BLOCK, holding=Holding.UNLAWFUL),
    effect(PHL_FINAL, Effect.BLOCKS, reach=only(PHL)),
    effect(PHL_APPEAL, Effect.KEEPS_BLOCK, holding=Holding.UNLAWFUL),
    effect(SF_FINAL, Effect.BLOCKS, reach=NATIONWIDE),
    effect(SF_FINAL, Effect.STAYS, reach=only(SF), stays=20),
    effect(SF_APPEAL, Effect.NARROWS_BLOCK, NOTICE, ACCESS, reach=CALIFORNIA, holding="unlawful"),
    effect(SF_APPEAL, Effect.NARROWS_BLOCK, S1373, reach=only(SF)),
    effect(NY_FINAL, Effect.BLOCKS, reach=only(NY)),
    effect(NY_REVERSED, Effect.LIFTS_BLOCK, holding=Holding.LAWFUL),
)


@dataclass(frozen=True)
class Case:
    as_of: str
    code: StatusCode
    says: tuple[str, ...]
    never: tuple[str, ...] = ()


BYRNE_CASES = [
    Case("2017-07-24", StatusCode.NOT_YET_ISSUED, ("Not yet issued",)),
    Case(
        "2017-10-01",
        StatusCode.BLOCKED_NATIONWIDE,
        (
            "Notice and access conditions: blocked nationwide by the N.D. Ill. preliminary "
            "injunction of 15 Sep 2017",
            "§ 1373 condition: in force; the N.D. Ill. preliminary injunction of 15 Sep 2017 "
            "declined to block it",
        ),
    ),
    Case(
        "2018-07-01",
        StatusCode.BLOCKED_PARTLY,
        (
            "Notice and access conditions: blocked for City of Chicago and City of Philadelphia "
            "(by 2 orders; the nationwide reach of the N.D. Ill. preliminary injunction of 15 Sep "
            "2017 stayed); held unlawful in the 7th Cir.",
            "§ 1373 condition: blocked for City of Philadelphia by the E.D. Pa. permanent "
            "injunction of 6 Jun 2018",
        ),
        ("blocked nationwide",),
    ),
    Case(
        "2018-08-01",
        StatusCode.BLOCKED_PARTLY,
        (
            "blocked for City of Chicago and City of Philadelphia (by 2 orders; the nationwide "
            "reach of the N.D. Ill. permanent injunction of 27 Jul 2018 stayed)",
        ),
        ("blocked nationwide",),
    ),
    Case(
        "2019-03-01",
        StatusCode.BLOCKED_PARTLY,
        (
            "blocked for City and County of San Francisco, City of Chicago, City of Philadelphia "
            "and State of New York (by 4 orders; the nationwide reach of the N.D. Ill. permanent "
            "injunction of 27 Jul 2018 and the N.D. Cal. permanent injunction of 5 Oct 2018 "
            "stayed)",
            "held unlawful in the 3d and 7th Cirs.",
        ),
        ("blocked nationwide",),
    ),
    Case(
        "2020-03-01",
        StatusCode.BLOCKED_PARTLY,
        (
            "circuits split: held unlawful in the 3d and 7th Cirs.; upheld in the 2d Cir. (New "
            "York v. DOJ, 26 Feb 2020)",
            "blocked for City and County of San Francisco, City of Chicago and City of "
            "Philadelphia (by 3 orders",
        ),
        ("blocked nationwide", "State of New York"),
    ),
    Case(
        "2020-06-01",
        StatusCode.BLOCKED_NATIONWIDE,
        ("Blocked nationwide by the N.D. Ill. permanent injunction of 27 Jul 2018",),
    ),
    Case(
        "2020-08-01",
        StatusCode.BLOCKED_NATIONWIDE,
        ("held unlawful in the 3d, 7th and 9th Cirs.",),
    ),
]


@pytest.mark.parametrize("case", BYRNE_CASES, ids=[c.as_of for c in BYRNE_CASES])
def test_parts_reach_stays_and_circuits_make_the_headline(case):
    status = derive(CONDITIONS, BYRNE_RECORD, D(case.as_of))
    assert status.code == case.code, status.headline
    for words in case.says:
        assert words in status.headline, status.headline
    for words in case.never:
        assert words not in status.headline, status.headline


def test_a_split_is_named_in_the_label_and_by_circuit():
    status = derive(CONDITIONS, BYRNE_RECORD, D("2020-03-01"))
    assert status.split
    assert "circuits split" in status.label
    holdings = {row.circuit: row.holding for row in status.circuits}
    assert holdings["ca2"] == Holding.LAWFUL
    assert holdings["ca3"] == holdings["ca7"] == Holding.UNLAWFUL
    assert holdings["ca1"] == holdings["ca9"] == Holding.NONE
    assert len(status.circuits) == 13


def test_each_protected_jurisdiction_has_the_order_that_protects_it():
    status = derive(CONDITIONS, BYRNE_RECORD, D("2019-03-01"))
    by_who = {p.who: [r.id for r in p.rulings] for p in status.protections}
    assert by_who["City of Philadelphia"] == [10, 11]
    assert by_who["City of Chicago"][0] == 4
    assert by_who["State of New York"] == [30]


def test_parts_have_their_own_status():
    status = derive(CONDITIONS, BYRNE_RECORD, D("2017-10-01"))
    codes = {p.part.slug: p.code for p in status.parts}
    assert codes == {
        "notice": StatusCode.BLOCKED_NATIONWIDE,
        "access": StatusCode.BLOCKED_NATIONWIDE,
        "section-1373": StatusCode.IN_FORCE,
    }
    assert status.label == "Blocked nationwide (in part)"


def test_a_stay_lifted_on_a_date_ends_that_day():
    pi = ruling(1, ILND, "2018-08-09")
    effects = (
        effect(pi, Effect.BLOCKS, reach=only(CHI, PHL)),
        effect(pi, Effect.STAYS, reach=only(CHI), stays=1, ends="2018-08-29"),
    )
    before = derive(ORDER, effects, D("2018-08-28"))
    after = derive(ORDER, effects, D("2018-08-29"))
    assert before.protected == (CHI,)
    assert after.protected == (CHI, PHL)
    assert [c.date for c in after.history][-1] == D("2018-08-29")


def test_a_complete_stay_suspends_the_block():
    pi = ruling(1, ILND, "2018-01-01")
    stay = ruling(2, CA7, "2018-02-01", RulingKind.STAY)
    effects = (effect(pi, Effect.BLOCKS, reach=NATIONWIDE), effect(stay, Effect.STAYS, stays=1))
    status = derive(ORDER, effects, D("2018-03-01"))
    assert status.code == StatusCode.BLOCK_STAYED
    assert "is stayed by the 7th Cir. stay order of 1 Feb 2018" in status.headline


def test_an_appellate_ruling_for_the_government_does_not_lift_another_circuits_block():
    effects = (
        effect(PHL_FINAL, Effect.BLOCKS, reach=only(PHL)),
        effect(NY_FINAL, Effect.BLOCKS, reach=only(NY)),
        effect(NY_REVERSED, Effect.LIFTS_BLOCK, holding=Holding.LAWFUL),
    )
    status = derive(ORDER, effects, D("2020-03-01"))
    assert status.protected == (PHL,)
    assert "upheld in the 2d Cir." in status.headline


def test_a_supreme_court_holding_binds_every_circuit():
    decision = ruling(40, SCOTUS, "2021-01-01", RulingKind.SUPREME_COURT)
    effects = BYRNE_RECORD + (effect(decision, Effect.UPHOLDS, holding=Holding.LAWFUL),)
    status = derive(CONDITIONS, effects, D("2021-02-01"))
    assert {row.holding for row in status.circuits} == {Holding.LAWFUL}
    assert status.code == StatusCode.UPHELD


def test_a_repeal_ends_the_policy_and_keeps_the_last_court_status():
    repealed = PolicyFacts(
        1,
        D("2017-07-25"),
        parts=CONDITIONS.parts,
        ended_on=D("2021-04-22"),
        end_kind=PolicyEnd.REPEALED,
        ended_by="revised grant guidance",
    )
    status = derive(repealed, BYRNE_RECORD, D("2021-05-01"))
    assert status.code == StatusCode.ENDED
    assert status.headline.startswith("Rescinded on 22 Apr 2021 by revised grant guidance.")
    assert "Last court status" in status.headline
    assert not status.protections


def test_a_memo_ends_with_the_order_it_interprets():
    memo = PolicyFacts(
        3,
        D("2017-05-22"),
        kind=PolicyKind.MEMORANDUM,
        parent_title="EO 13768 §9(a)",
        parent_ended_on=D("2021-01-20"),
        parent_ended_by="Executive Order 13993",
    )
    assert derive(memo, (), D("2020-12-31")).code == StatusCode.IN_FORCE
    ended = derive(memo, (), D("2021-01-20"))
    assert ended.code == StatusCode.ENDED
    assert "with the order it interprets (EO 13768 §9(a)" in ended.headline


def test_an_action_no_court_ruled_on_is_not_called_in_force():
    letters = PolicyFacts(4, D("2017-10-12"), kind=PolicyKind.ENFORCEMENT_LETTERS)
    status = derive(letters, (), D("2018-01-01"))
    assert status.code == StatusCode.NO_RULING
    assert status.headline == "No court ruled on it."


def test_reversal_removes_the_block_and_a_reversed_reversal_revives_it():
    reinstated = ruling(
        32, SCOTUS, "2021-01-01", RulingKind.SUPREME_COURT, suit=SUIT_NY, reviews_id=31,
        disposition=Disposition.REVERSED,
    )  # fmt: skip
    effects = (
        effect(NY_FINAL, Effect.BLOCKS, reach=only(NY)),
        effect(NY_REVERSED, Effect.LIFTS_BLOCK, holding=Holding.LAWFUL),
    )
    assert derive(ORDER, effects, D("2020-03-01")).code == StatusCode.UPHELD
    revived = derive(ORDER, effects, D("2021-02-01"), [reinstated])
    assert revived.protected == (NY,)


def test_an_appeal_is_pending_only_once_its_time_has_run():
    effects = (effect(PHL_FINAL, Effect.BLOCKS, reach=only(PHL)),)
    rulings = [PHL_APPEAL]
    early = derive(ORDER, effects, D("2018-06-20"), rulings)
    late = derive(ORDER, effects, D("2018-09-01"), rulings)
    assert "appealed to the 3d Cir. (date of notice not recorded)" in early.headline
    assert "appeal pending in the 3d Cir." in late.headline
    # The day the window closes is a change in the history, though no ruling was issued then.
    history = derive(ORDER, effects, D("2018-09-01"), rulings).history
    assert D("2018-08-05") in [c.date for c in history]


def test_a_review_cycle_in_bad_data_does_not_crash():
    a = ruling(1, ILND, "2018-01-01", reviews_id=2, disposition=Disposition.REVERSED)
    b = ruling(2, CA7, "2018-02-01", reviews_id=1, disposition=Disposition.REVERSED)
    status = derive(ORDER, (effect(a, Effect.BLOCKS, reach=NATIONWIDE),), D("2018-03-01"), [b])
    assert status.code in set(StatusCode)


def test_a_stay_of_a_ruling_that_blocks_nothing_is_reported_to_editors():
    stay = ruling(2, CA7, "2018-02-01", RulingKind.STAY)
    status = derive(ORDER, (effect(stay, Effect.STAYS, stays=99),), D("2018-03-01"))
    assert any("stays ruling 99" in w for w in status.warnings)


# --- The loader -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_loader_reads_reach_from_the_effect_never_from_the_plaintiffs():
    court = CourtFactory(level=CourtLevel.DISTRICT)
    policy = PolicyFactory(issued_on=D("2017-01-01"))
    draft_plaintiff = JurisdictionFactory(name="Draft Town")
    draft_suit = LawsuitFactory(court=court, publication_state=PublicationState.DRAFT)
    draft_suit.plaintiffs.set([draft_plaintiff])
    named = JurisdictionFactory(name="Named City")
    order = RulingFactory(court=court, decided_on=D("2018-01-01"), lawsuits=[draft_suit])
    RulingEffectFactory(ruling=order, policy=policy, reach=Reach.JURISDICTIONS).protected.set(
        [named]
    )

    status = statuses_for([policy], D("2018-02-01"))[policy.pk]

    assert [j.name for j in status.protected] == ["Named City"]
    assert "Draft Town" not in status.headline


@pytest.mark.django_db
def test_the_loader_derives_each_part_and_ignores_draft_rulings():
    court = CourtFactory(level=CourtLevel.DISTRICT)
    policy = PolicyFactory(issued_on=D("2017-01-01"))
    notice = PolicyPartFactory(policy=policy, slug="notice", name="notice condition", position=1)
    PolicyPartFactory(policy=policy, slug="access", name="access condition", position=2)
    order = RulingFactory(court=court, decided_on=D("2018-01-01"))
    RulingEffectFactory(ruling=order, policy=policy).parts.set([notice])
    draft = RulingFactory(
        court=court, decided_on=D("2018-01-02"), publication_state=PublicationState.DRAFT
    )
    RulingEffectFactory(ruling=draft, policy=policy)

    status = statuses_for([policy], D("2018-02-01"))[policy.pk]

    assert status.headline.startswith("Notice condition: blocked nationwide")
    assert "Access condition: in force" in status.headline


@pytest.mark.django_db
def test_the_loader_makes_the_same_number_of_queries_for_many_policies():
    court = CourtFactory(level=CourtLevel.DISTRICT)

    def make(n):
        policies = []
        for _ in range(n):
            policy = PolicyFactory(issued_on=D("2017-01-01"))
            PolicyPartFactory(policy=policy)
            suit = LawsuitFactory(court=court, status=LawsuitStatus.ON_APPEAL)
            ruling_ = RulingFactory(court=court, decided_on=D("2018-01-01"), lawsuits=[suit])
            RulingEffectFactory(ruling=ruling_, policy=policy)
            policies.append(policy)
        return policies

    few, many = make(1), make(1) + make(6)
    with CaptureQueriesContext(connection) as one:
        statuses_for(few, D("2019-01-01"))
    with CaptureQueriesContext(connection) as seven:
        statuses_for(many, D("2019-01-01"))
    assert len(one) == len(seven)
