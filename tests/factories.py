"""factory_boy factories for the tracker's models. Records are published unless a test says not."""

import datetime

import factory

from cases.models import (
    Court,
    CourtLevel,
    Effect,
    FundingProgram,
    Ground,
    Jurisdiction,
    JurisdictionKind,
    Lawsuit,
    Policy,
    PolicyKind,
    PolicyPart,
    PublicationState,
    Reach,
    Ruling,
    RulingEffect,
    RulingKind,
    RulingOutcome,
    RulingScope,
    Source,
)


class CourtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Court
        django_get_or_create = ["id"]

    id = factory.Sequence(lambda n: f"tstd{n}")
    name = factory.Sequence(lambda n: f"District Court, Test District {n}")
    citation_string = factory.Sequence(lambda n: f"T.D. {n}")
    level = CourtLevel.DISTRICT


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source document {n}")
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")


class GroundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ground

    slug = factory.Sequence(lambda n: f"ground-{n}")
    name = factory.Sequence(lambda n: f"Ground {n}")


class FundingProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingProgram

    slug = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Test Grant Program {n:04d}")  # sorts as made
    short_name = factory.Sequence(lambda n: f"TGP {n:04d}")


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction

    slug = factory.Sequence(lambda n: f"city-{n}")
    name = factory.Sequence(lambda n: f"City of Testville {n}")
    kind = JurisdictionKind.CITY
    state = "CA"


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"policy-{n}")
    title = factory.Sequence(lambda n: f"Test Policy {n}")
    short_title = factory.Sequence(lambda n: f"Policy {n}")
    kind = PolicyKind.GRANT_CONDITION
    issued_by = "Department of Justice"
    issued_on = datetime.date(2017, 7, 25)
    summary = "Attaches conditions to a grant."
    publication_state = PublicationState.PUBLISHED

    @factory.post_generation
    def programs(self, create, extracted, **kwargs):
        if create and extracted:
            self.programs.set(extracted)


class LawsuitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lawsuit
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"city-v-agency-{n}")
    caption = factory.Sequence(lambda n: f"City {n} v. Agency")
    court = factory.SubFactory(CourtFactory)
    docket_number = factory.Sequence(lambda n: f"1:17-cv-{n:05d}")
    filed_on = datetime.date(2017, 3, 1)
    publication_state = PublicationState.PUBLISHED

    @factory.post_generation
    def plaintiffs(self, create, extracted, **kwargs):
        if create and extracted:
            self.plaintiffs.set(extracted)

    @factory.post_generation
    def policies(self, create, extracted, **kwargs):
        if create and extracted:
            self.policies.set(extracted)


class RulingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ruling
        skip_postgeneration_save = True

    court = factory.SubFactory(CourtFactory)
    decided_on = datetime.date(2017, 11, 20)
    kind = RulingKind.PRELIMINARY_INJUNCTION
    outcome = RulingOutcome.CHALLENGERS
    scope = RulingScope.NATIONWIDE
    summary = "Blocks the policy."
    publication_state = PublicationState.PUBLISHED

    @factory.post_generation
    def lawsuits(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [LawsuitFactory(court=self.court)]
        self.lawsuits.set(extracted)


class PolicyPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyPart

    policy = factory.SubFactory(PolicyFactory)
    slug = factory.Sequence(lambda n: f"part-{n}")
    name = factory.Sequence(lambda n: f"condition {n}")


class RulingEffectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RulingEffect

    ruling = factory.SubFactory(RulingFactory)
    policy = factory.SubFactory(PolicyFactory)
    effect = Effect.BLOCKS
    # Blocks reach nationwide unless a test says otherwise; a narrowing names its jurisdictions;
    # a stay suspends wholly.
    reach = factory.LazyAttribute(
        lambda o: {
            Effect.BLOCKS: Reach.NATIONWIDE,
            Effect.NARROWS_BLOCK: Reach.JURISDICTIONS,
            Effect.STAYS: Reach.NOBODY,
        }.get(o.effect, Reach.NOT_APPLICABLE)
    )
