"""The shipped seed data says what the verified facts say: who decided what, where, when, and with
what effect on which policy. It also loads cleanly, and loading it again changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command

from cases.models import (
    Court,
    DatePrecision,
    Disposition,
    Effect,
    FundingProgram,
    Ground,
    Holding,
    Jurisdiction,
    Lawsuit,
    Policy,
    PolicyEnd,
    PolicyPart,
    PublicationState,
    Reach,
    Ruling,
    RulingEffect,
    RulingOutcome,
    RulingScope,
    Source,
)

pytestmark = pytest.mark.django_db

ARTICLE = "aclu-2017-11-27"
EO = "eo-13768-sec-9a"
JAG17 = "byrne-jag-fy2017-conditions"
COPS = "cops-fy2017-preference"

# Chicago's FY2018 suit challenges the FY2018 Byrne JAG conditions, which are not seeded as a
# policy because no issue date for them is confirmed.
NO_SEEDED_POLICY = {"chicago-v-sessions-fy2018"}


def ruling(court: str, day: dt.date, kind: str | None = None) -> Ruling:
    """The court's ruling of that day (not counting a stay of it entered the same day)."""
    rulings = Ruling.objects.filter(court_id=court, decided_on=day)
    return rulings.get(kind=kind) if kind else rulings.exclude(kind="stay").get()


def slugs(queryset) -> set[str]:
    return set(queryset.values_list("slug", flat=True))


def effect(ruling_: Ruling, policy_slug: str, kind: str | None = None) -> RulingEffect:
    """The ruling's effect on the policy (of the given kind, where it has several)."""
    effects = ruling_.effects.filter(policy__slug=policy_slug)
    return effects.get(effect=kind) if kind else effects.get()


def parts(effect_: RulingEffect) -> set[str]:
    return set(effect_.parts.values_list("slug", flat=True))


# --- The article's rulings and their appeals ----------------------------------------------------


def test_nov_2017_permanent_injunction_is_one_ruling_in_both_california_cases(seeded):
    r3 = ruling("cand", dt.date(2017, 11, 20))

    assert slugs(r3.lawsuits.all()) == {"santa-clara-v-trump", "san-francisco-v-trump"}
    assert r3.kind == "permanent_injunction"
    assert r3.judges.startswith("William H. Orrick")
    assert r3.outcome == RulingOutcome.CHALLENGERS
    assert r3.scope == RulingScope.NATIONWIDE
    assert r3.citation == "275 F. Supp. 3d 1196"  # as Judge Orrick cites it in 372 F. Supp. 3d 928
    assert effect(r3, EO).effect == Effect.BLOCKS
    assert effect(r3, EO).reach == Reach.NATIONWIDE
    assert not effect(r3, EO).protected.exists()
    assert slugs(r3.grounds.all()) >= {
        "separation-of-powers",
        "spending-clause",
        "tenth-amendment",
        "fifth-amendment-vagueness",
    }


def test_april_2017_preliminary_injunction_blocked_the_order_nationwide(seeded):
    r1 = ruling("cand", dt.date(2017, 4, 25))

    assert r1.kind == "preliminary_injunction"
    assert r1.citation == "250 F. Supp. 3d 497"
    assert r1.scope == RulingScope.NATIONWIDE
    assert r1.lawsuits.count() == 2
    assert effect(r1, EO).effect == Effect.BLOCKS


def test_ninth_circuit_2018_affirms_in_part_and_narrows_the_block(seeded):
    r3 = ruling("cand", dt.date(2017, 11, 20))
    r4 = Ruling.objects.get(citation="897 F.3d 1225")

    assert r4.court_id == "ca9"
    assert r4.decided_on == dt.date(2018, 8, 1)
    assert r4.docket_number == "17-17478, 17-17480"
    assert r4.reviews == r3
    assert r4.disposition == Disposition.AFFIRMED_IN_PART
    assert r4.scope == RulingScope.REGIONAL
    assert r4.judges.startswith("Sidney R. Thomas")
    assert "Fernandez" in r4.judges
    narrowed = effect(r4, EO)
    assert narrowed.effect == Effect.NARROWS_BLOCK
    # Upheld as applied within California, not only for the two plaintiffs.
    assert (narrowed.reach, narrowed.states) == (Reach.STATES, "CA")
    assert narrowed.holding == Holding.UNLAWFUL
    assert set(r4.lawsuits.all()) == set(r3.lawsuits.all())


def test_chicago_preliminary_injunction(seeded):
    r5 = ruling("ilnd", dt.date(2017, 9, 15))

    assert slugs(r5.lawsuits.all()) == {"chicago-v-sessions"}
    assert r5.kind == "preliminary_injunction"
    assert r5.judges == "Harry D. Leinenweber"
    assert r5.citation == "264 F. Supp. 3d 933"
    assert r5.outcome == RulingOutcome.MIXED
    assert r5.scope == RulingScope.NATIONWIDE
    blocked = effect(r5, JAG17, Effect.BLOCKS)
    assert parts(blocked) == {"notice", "access"}
    assert blocked.reach == Reach.NATIONWIDE
    assert not blocked.protected.exists()
    assert parts(effect(r5, JAG17, Effect.DECLINES)) == {"section-1373"}


def test_seventh_circuit_2018_affirms_the_chicago_injunction(seeded):
    r5 = ruling("ilnd", dt.date(2017, 9, 15))
    r7 = Ruling.objects.get(citation="888 F.3d 272")

    assert r7.court_id == "ca7"
    assert r7.decided_on == dt.date(2018, 4, 19)
    assert r7.docket_number == "17-2991"
    assert r7.reviews == r5
    assert r7.disposition == Disposition.AFFIRMED
    assert r7.judges.startswith("Ilana Diamond Rovner")
    assert effect(r7, JAG17).effect == Effect.KEEPS_BLOCK


def test_seventh_circuit_2020_affirms_and_says_what_is_not_confirmed(seeded):
    r9 = ruling("ilnd", dt.date(2018, 7, 27))
    r10 = Ruling.objects.get(citation="961 F.3d 882")

    assert r10.reviews == r9
    assert r10.decided_on == dt.date(2020, 4, 30)
    assert r10.disposition == Disposition.AFFIRMED_IN_PART
    assert slugs(r10.lawsuits.all()) == {"chicago-v-sessions", "chicago-v-sessions-fy2018"}
    assert "957 F.3d 772" in r10.summary and "amended on June 4, 2020" in r10.summary
    assert "not confirmed" in r10.summary
    assert effect(r10, JAG17).holding == Holding.UNLAWFUL


def test_chicago_permanent_injunction_was_stayed_beyond_chicago_the_day_it_was_entered(seeded):
    injunction = ruling("ilnd", dt.date(2018, 7, 27))
    stay = ruling("ilnd", dt.date(2018, 7, 27), kind="stay")

    assert injunction.kind == "permanent_injunction"
    assert injunction.citation == "321 F. Supp. 3d 855"
    assert parts(effect(injunction, JAG17)) == {"notice", "access", "section-1373"}
    stayed = effect(stay, JAG17)
    assert stayed.effect == Effect.STAYS
    assert stayed.stays_ruling == injunction
    # Only the nationwide scope was stayed: Chicago stayed protected.
    assert (stayed.reach, slugs(stayed.protected.all())) == (Reach.JURISDICTIONS, {"chicago-il"})


def test_seventh_circuit_stayed_the_preliminary_injunction_beyond_chicago_in_june_2018(seeded):
    stay = Ruling.objects.get(court_id="ca7", decided_on=dt.date(2018, 6, 26))
    stayed = effect(stay, JAG17)

    assert stay.kind == "stay"
    assert stayed.stays_ruling == ruling("ilnd", dt.date(2017, 9, 15))
    assert slugs(stayed.protected.all()) == {"chicago-il"}
    assert parts(stayed) == {"notice", "access"}


def test_the_november_2018_california_order_stayed_its_own_nationwide_effect(seeded):
    order = ruling("cand", dt.date(2018, 10, 5))

    assert effect(order, JAG17, Effect.BLOCKS).reach == Reach.NATIONWIDE
    stayed = effect(order, JAG17, Effect.STAYS)
    assert stayed.stays_ruling == order
    assert slugs(stayed.protected.all()) == {"california", "san-francisco-ca"}


def test_second_circuit_upheld_the_conditions_and_split_the_circuits(seeded):
    appeal = Ruling.objects.get(citation="951 F.3d 84")

    assert appeal.court_id == "ca2"
    assert appeal.decided_on == dt.date(2020, 2, 26)
    assert appeal.disposition == Disposition.REVERSED
    assert appeal.reviews.citation == "343 F. Supp. 3d 213"
    assert effect(appeal, JAG17).holding == Holding.LAWFUL
    assert Ruling.objects.get(citation="954 F.3d 23").court_id == "ca1"
    assert Ruling.objects.get(citation="941 F.3d 931").decided_on == dt.date(2019, 10, 31)


def test_the_byrne_jag_conditions_have_three_parts_and_were_repealed_in_april_2021(seeded):
    conditions = Policy.objects.get(slug=JAG17)

    assert [p.slug for p in conditions.parts.all()] == ["notice", "access", "section-1373"]
    assert conditions.end_kind == PolicyEnd.REPEALED
    assert conditions.ended_on == dt.date(2021, 4, 22)
    assert conditions.end_source is not None


def test_philadelphia_preliminary_injunction_protects_only_philadelphia(seeded):
    r11 = ruling("paed", dt.date(2017, 11, 15))

    assert slugs(r11.lawsuits.all()) == {"philadelphia-v-sessions"}
    assert r11.kind == "preliminary_injunction"
    assert r11.judges == "Michael M. Baylson"
    assert r11.citation == "280 F. Supp. 3d 579"
    assert r11.scope == RulingScope.PLAINTIFFS
    blocked = effect(r11, JAG17)
    assert blocked.effect == Effect.BLOCKS
    assert slugs(blocked.protected.all()) == {"philadelphia-pa"}


def test_third_circuit_affirms_philadelphia_in_part(seeded):
    r12 = ruling("paed", dt.date(2018, 6, 6))
    r13 = Ruling.objects.get(citation="916 F.3d 276")

    assert r13.court_id == "ca3"
    assert r13.decided_on == dt.date(2019, 2, 15)
    assert r13.reviews == r12
    assert r13.disposition == Disposition.AFFIRMED_IN_PART


def test_cops_preference_blocked_in_los_angeles_then_upheld(seeded):
    sj = ruling("cacd", dt.date(2018, 4, 11))
    appeal = Ruling.objects.get(citation="929 F.3d 1163")

    assert sj.citation == "293 F. Supp. 3d 1087"
    assert sj.scope == RulingScope.NATIONWIDE
    assert effect(sj, COPS).effect == Effect.BLOCKS
    assert appeal.reviews == sj
    assert appeal.disposition == Disposition.REVERSED
    assert appeal.docket_number == "18-55599"
    assert effect(appeal, COPS).effect == Effect.LIFTS_BLOCK


# --- Policies and programs ----------------------------------------------------------------------


def test_executive_order_was_revoked_in_2021(seeded):
    eo = Policy.objects.get(slug=EO)

    assert eo.issued_on == dt.date(2017, 1, 25)
    assert eo.citation == "82 Fed. Reg. 8799"
    assert eo.end_kind == PolicyEnd.REVOKED
    assert eo.ended_on == dt.date(2021, 1, 20)
    assert eo.ended_by == "Executive Order 13993 (86 Fed. Reg. 7051)"


def test_ag_memo_was_issued_on_may_22_2017_and_ended_with_the_order(seeded):
    memo = Policy.objects.get(parent__slug=EO)

    assert memo.kind == "memorandum"
    assert memo.issued_on == dt.date(2017, 5, 22)
    assert memo.issued_on_precision == DatePrecision.DAY
    assert memo.end_kind == PolicyEnd.WITH_PARENT
    assert memo.ended_on == Policy.objects.get(slug=EO).ended_on


def test_grant_policies_belong_to_their_programs(seeded):
    assert slugs(Policy.objects.get(slug=JAG17).programs.all()) == {"byrne-jag"}
    assert slugs(Policy.objects.get(slug=COPS).programs.all()) == {"cops-hiring"}
    awards = Policy.objects.get(slug="cops-fy2017-awards")
    assert awards.parent.slug == COPS
    assert slugs(awards.programs.all()) == {"cops-hiring"}
    assert FundingProgram.objects.get(slug="byrne-jag").statute.startswith(
        "34 U.S.C. § 10151 et seq."
    )


def test_cops_award_figures(seeded):
    summary = Policy.objects.get(slug="cops-fy2017-awards").summary

    for figure in ("802", "179", "$98,495,397"):
        assert figure in summary


def test_letter_rounds_name_their_recipients(seeded):
    counts = {
        "doj-letters-2017-08-03": 4,
        "doj-letters-2017-10-12": 5,
        "doj-letters-2017-11-15": 29,
    }
    for slug, count in counts.items():
        letters = Policy.objects.get(slug=slug)
        assert letters.kind == "enforcement_letters"
        assert letters.targets.count() == count, slug


# --- Whole-seed rules ---------------------------------------------------------------------------


def test_every_lawsuit_has_plaintiffs_policies_and_sources(seeded):
    for lawsuit in Lawsuit.objects.all():
        assert lawsuit.plaintiffs.exists(), lawsuit.slug
        assert lawsuit.sources.exists(), lawsuit.slug
        if lawsuit.slug not in NO_SEEDED_POLICY:
            assert lawsuit.policies.exists(), lawsuit.slug


def test_every_ruling_has_lawsuits_and_sources(seeded):
    for r in Ruling.objects.all():
        assert r.lawsuits.exists(), r.pk
        assert r.sources.exists(), r.pk


def test_no_ruling_predates_its_lawsuits(seeded):
    for r in Ruling.objects.prefetch_related("lawsuits"):
        for lawsuit in r.lawsuits.all():
            assert r.decided_on >= lawsuit.filed_on, (r.pk, lawsuit.slug)


def test_dispositions_only_on_reviewing_rulings(seeded):
    assert not Ruling.objects.filter(reviews__isnull=True).exclude(disposition="").exists()


def test_article_source_backs_the_article_rulings(seeded):
    article = Source.objects.get(slug=ARTICLE)

    assert article.author == "Ruthie Epstein"
    assert article.publisher == "ACLU"
    assert article.published_on == dt.date(2017, 11, 27)
    backed = {(r.court_id, r.decided_on) for r in article.rulings.all()}
    assert backed >= {
        ("cand", dt.date(2017, 4, 25)),
        ("cand", dt.date(2017, 11, 20)),
        ("ilnd", dt.date(2017, 9, 15)),
        ("paed", dt.date(2017, 11, 15)),
    }


def test_every_record_is_published(seeded):
    for model in (Policy, Lawsuit, Ruling):
        assert not model.objects.exclude(publication_state=PublicationState.PUBLISHED).exists()


def test_california_byrne_jag_suits_are_dated_to_the_day(seeded):
    filed = {
        slug: Lawsuit.objects.get(slug=slug)
        for slug in ("san-francisco-v-sessions", "california-v-sessions")
    }
    assert filed["san-francisco-v-sessions"].filed_on == dt.date(2017, 8, 11)
    assert filed["california-v-sessions"].filed_on == dt.date(2017, 8, 14)
    assert {lawsuit.filed_on_precision for lawsuit in filed.values()} == {DatePrecision.DAY}
    assert slugs(filed["san-francisco-v-sessions"].related.all()) == {"california-v-sessions"}


# --- Loading ------------------------------------------------------------------------------------

COUNTED = (
    Source,
    Ground,
    Court,
    FundingProgram,
    Jurisdiction,
    Policy,
    Lawsuit,
    Ruling,
    RulingEffect,
    Policy.targets.through,
    Lawsuit.plaintiffs.through,
    Lawsuit.related.through,
    Ruling.lawsuits.through,
    RulingEffect.protected.through,
    RulingEffect.parts.through,
    PolicyPart,
)


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED}


def test_seed_loads_on_an_empty_database_and_reloads_without_duplicates(db):
    assert not Policy.objects.exists()

    call_command("load_seed", verbosity=0)
    loaded = counts()
    assert loaded["cases.Ruling"] > 0 and loaded["cases.Lawsuit"] > 0

    call_command("load_seed", verbosity=0)  # already loaded: nothing to do
    assert counts() == loaded

    call_command("load_seed", "--force", verbosity=0)
    assert counts() == loaded
    assert Jurisdiction.objects.filter(slug="chicago-il").count() == 1
