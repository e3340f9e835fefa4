"""The tracker's records: courts, funding programs, policies, jurisdictions, lawsuits, rulings and
the sources behind them.

Rules that must always hold live in the database as named constraints, so they bind fixtures,
scripts and the admin alike; the admin reports them as ordinary form errors.
"""

from __future__ import annotations

import datetime
import functools

from django.core.validators import validate_slug
from django.db import models, router, transaction
from django.db.models import F, Q
from django.urls import get_script_prefix, reverse
from simple_history.models import HistoricalRecords

# Digits, so it fits an <int:...> and a <slug:...> converter alike, and long enough to occur
# nowhere else in an address.
_KEY_MARKER = "9081726354453627189"


@functools.lru_cache(maxsize=64)
def _address_around_key(viewname: str, kwarg: str, script_prefix: str) -> tuple[str, str]:
    before, _, after = reverse(viewname, kwargs={kwarg: _KEY_MARKER}).partition(_KEY_MARKER)
    return before, after


def record_url(viewname: str, kwarg: str, key: int | str) -> str:
    """`reverse(viewname, kwargs={kwarg: key})` for a record's integer or slug key, reversing
    the pattern once per process rather than once per link: a list page shows hundreds."""
    before, after = _address_around_key(viewname, kwarg, get_script_prefix())
    return f"{before}{key}{after}"


def _valid(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A named check that a TextChoices field holds one of its values."""
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class EditableRecord(models.Model):
    """A record editors change in the admin.

    `version` counts the record's saves, for optimistic locking: every save, by any path (the
    admin form, the publish actions, a history revert, a script), reads the stored number under
    a row lock and writes it plus one, so a form loaded at version N learns on saving that
    someone else saved in between (cases/editing.py). Constraint violations are reported as a
    sentence on the field they concern rather than as the constraint's name.
    """

    # db_default: rows written by SQL (generate_bulk's COPY) start at 1 too.
    version = models.PositiveIntegerField(
        default=1,
        db_default=1,
        editable=False,
        help_text="Number of saves; a stale form is refused.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            if not self._state.adding:
                stored = (
                    type(self)
                    ._base_manager.using(using)
                    .select_for_update()
                    .filter(pk=self.pk)
                    .values_list("version", flat=True)
                    .first()
                )
                if stored is not None:
                    self.version = stored + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)

    def bump_version(self) -> None:
        """Raise the stored version without saving the fields: for a change made through a link
        table (a ruling linked on its case's page), so forms loaded before it are refused."""
        rows = type(self)._base_manager.filter(pk=self.pk)
        rows.update(version=F("version") + 1)
        self.version = rows.values_list("version", flat=True).get()

    def validate_constraints(self, exclude=None):
        from cases.validation import validate_constraints_on_fields

        validate_constraints_on_fields(self, exclude)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- Choices ------------------------------------------------------------------------------------


class PublicationState(models.TextChoices):
    DRAFT = "draft", "Draft (editors only)"
    PUBLISHED = "published", "Published"


class DatePrecision(models.TextChoices):
    DAY = "day", "Exact day"
    MONTH = "month", "Month only"
    YEAR = "year", "Year only"


class CourtLevel(models.TextChoices):
    DISTRICT = "district", "District court"
    SPECIAL = "special", "Specialised trial court"
    APPELLATE = "appellate", "Court of appeals"
    SUPREME = "supreme", "Supreme Court"


class SourceKind(models.TextChoices):
    ARTICLE = "article", "News or commentary"
    COURT = "court", "Court document"
    GOVERNMENT = "government", "Government document"
    REFERENCE = "reference", "Reference or database"


class PolicyKind(models.TextChoices):
    EXECUTIVE_ORDER = "executive_order", "Executive order"
    MEMORANDUM = "memorandum", "Memorandum or guidance"
    GRANT_CONDITION = "grant_condition", "Grant condition"
    GRANT_PREFERENCE = "grant_preference", "Grant preference"
    GRANT_AWARD = "grant_award", "Grant award announcement"
    ENFORCEMENT_LETTERS = "enforcement_letters", "Enforcement letters"


class PolicyEnd(models.TextChoices):
    REVOKED = "revoked", "Revoked by a later order"
    REPEALED = "repealed", "Rescinded or repealed by the issuing agency"
    SUPERSEDED = "superseded", "Superseded"
    EXPIRED = "expired", "Expired"
    WITH_PARENT = "with_parent", "Ended with the order it interprets"


# Policies that are one-off actions (a round of letters, a round of awards), not standing rules:
# they are never "in force"; their status says whether any court ruled on them.
ACTION_KINDS = frozenset({PolicyKind.GRANT_AWARD, PolicyKind.ENFORCEMENT_LETTERS})


class JurisdictionKind(models.TextChoices):
    STATE = "state", "State"
    COUNTY = "county", "County"
    CITY = "city", "City"
    CITY_COUNTY = "city_county", "City and county"
    OTHER = "other", "Other local government"


class USState(models.TextChoices):
    """The states, the District of Columbia and the inhabited territories, by postal code."""

    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"
    AS = "AS", "American Samoa"
    GU = "GU", "Guam"
    MP = "MP", "Northern Mariana Islands"
    PR = "PR", "Puerto Rico"
    VI = "VI", "U.S. Virgin Islands"


class LawsuitStatus(models.TextChoices):
    PENDING = "pending", "Pending in the trial court"
    ON_APPEAL = "on_appeal", "On appeal"
    CLOSED = "closed", "Closed"
    DISMISSED = "dismissed", "Dismissed"


class RulingKind(models.TextChoices):
    TRO = "tro", "Temporary restraining order"
    PRELIMINARY_INJUNCTION = "preliminary_injunction", "Preliminary injunction"
    PERMANENT_INJUNCTION = "permanent_injunction", "Summary judgment / permanent injunction"
    SUMMARY_JUDGMENT = "summary_judgment", "Summary judgment (no injunction)"
    DISMISSAL = "dismissal", "Dismissal"
    ORDER = "order", "Other order"
    STAY = "stay", "Order on a stay"
    APPELLATE_OPINION = "appellate_opinion", "Appellate opinion"
    EN_BANC_ORDER = "en_banc_order", "En banc order"
    EN_BANC_OPINION = "en_banc_opinion", "En banc opinion"
    SUPREME_COURT = "supreme_court", "Supreme Court decision or order"


class RulingOutcome(models.TextChoices):
    CHALLENGERS = "challengers", "For the challengers"
    GOVERNMENT = "government", "For the government"
    MIXED = "mixed", "Mixed"
    PROCEDURAL = "procedural", "Procedural (no winner)"


class RulingScope(models.TextChoices):
    NATIONWIDE = "nationwide", "Nationwide"
    REGIONAL = "regional", "Limited to a state or region"
    PLAINTIFFS = "plaintiffs", "Plaintiffs only"
    NONE = "none", "No relief ordered"


class Disposition(models.TextChoices):
    NONE = "", "Not an appeal / not recorded"
    AFFIRMED = "affirmed", "Affirmed"
    AFFIRMED_IN_PART = "affirmed_in_part", "Affirmed in part, vacated or reversed in part"
    REVERSED = "reversed", "Reversed"
    VACATED = "vacated", "Vacated"
    VACATED_IN_PART = "vacated_in_part", "Vacated in part"
    DISMISSED = "dismissed", "Appeal dismissed"


class Effect(models.TextChoices):
    BLOCKS = "blocks", "Blocks the policy"
    KEEPS_BLOCK = "keeps_block", "Keeps an earlier block in force"
    NARROWS_BLOCK = "narrows_block", "Narrows an earlier block"
    LIFTS_BLOCK = "lifts_block", "Lifts an earlier block"
    STAYS = "stays", "Stays a block"
    UPHOLDS = "upholds", "Upholds the policy"
    DECLINES = "declines", "Declines to block the policy"


class Reach(models.TextChoices):
    """Who a block protects: said by the court, never inferred from who sued."""

    NOT_APPLICABLE = "", "Not applicable (the effect protects no one by itself)"
    NATIONWIDE = "nationwide", "Nationwide: every government"
    STATES = "states", "Every government within the named states"
    JURISDICTIONS = "jurisdictions", "The named jurisdictions only"
    NOBODY = "nobody", "Nobody (for a stay: the block is suspended wholly)"


class Holding(models.TextChoices):
    NONE = "", "No holding on the merits"
    UNLAWFUL = "unlawful", "Held the policy (or the parts named) unlawful"
    LAWFUL = "lawful", "Held the policy (or the parts named) lawful"


# Two-letter codes of the states, the District of Columbia and the territories, and names.
US_STATES = dict(USState.choices)


def validate_state_codes(value: str) -> None:
    from django.core.exceptions import ValidationError

    unknown = [code for code in value.split() if code not in US_STATES]
    if unknown:
        raise ValidationError(
            "Give states as two-letter codes separated by spaces, e.g. 'CA' or 'NY NJ'; "
            f"not known: {', '.join(unknown)}."
        )


# --- Querysets ----------------------------------------------------------------------------------


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(publication_state=PublicationState.PUBLISHED)


class PublishableModel(TimeStampedModel):
    publication_state = models.CharField(
        max_length=16,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        help_text="Only published records appear on the public site and in exports.",
    )

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.publication_state == PublicationState.PUBLISHED


# --- Reference records --------------------------------------------------------------------------


class SourceManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Source(EditableRecord, TimeStampedModel):
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Short permanent key, e.g. 'aclu-2017-11-27'."
    )
    title = models.CharField(max_length=300, help_text="Title of the article or document.")
    publisher = models.CharField(
        max_length=200, blank=True, help_text="Who published it (outlet, court, agency)."
    )
    author = models.CharField(max_length=200, blank=True, help_text="Author(s), if named.")
    published_on = models.DateField(
        null=True, blank=True, help_text="Date of publication or filing, if known."
    )
    url = models.URLField(max_length=500, blank=True, help_text="Public link. Shown publicly.")
    kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.ARTICLE)
    notes = models.TextField(blank=True, help_text="What this source establishes. Shown publicly.")

    objects = SourceManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [_valid("kind", SourceKind, "source_kind_valid")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.url or reverse("cases:home")

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class GroundManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Ground(EditableRecord):
    """A legal ground a ruling rests on (separation of powers, Spending Clause, ...)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True, help_text="Shown publicly.")
    description = models.TextField(blank=True, help_text="One or two plain sentences.")

    objects = GroundManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cases:ruling-list") + f"?ground={self.slug}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Court(EditableRecord):
    id = models.CharField(
        primary_key=True,
        max_length=15,
        # A slug, as the court's address (/courts/<id>/) requires.
        validators=[validate_slug],
        help_text="CourtListener / courts-db identifier, e.g. 'cand', 'ca9', 'scotus'.",
    )
    name = models.CharField(max_length=200, help_text="Full name of the court.")
    citation_string = models.CharField(
        max_length=40, help_text="Abbreviation used in citations, e.g. 'N.D. Cal.'."
    )
    level = models.CharField(max_length=16, choices=CourtLevel.choices)
    appeals_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hears_appeals_from",
        help_text="Where this court's decisions are appealed (a district court's circuit).",
    )
    location = models.CharField(max_length=100, blank=True, help_text="State or territory.")
    url = models.URLField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            _valid("level", CourtLevel, "court_level_valid"),
            models.CheckConstraint(
                condition=~Q(appeals_to=F("id")), name="court_not_appeal_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("cases:court-detail", "pk", self.pk)

    @property
    def circuit(self) -> Court | None:
        """The court of appeals this court belongs to (itself for a circuit)."""
        if self.level == CourtLevel.APPELLATE:
            return self
        if self.appeals_to_id and self.level != CourtLevel.SUPREME:
            return self.appeals_to
        return None


class FundingProgramManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class FundingProgram(EditableRecord, TimeStampedModel):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200, unique=True, help_text="Full official name.")
    short_name = models.CharField(max_length=60, help_text="Common short name, e.g. 'Byrne JAG'.")
    administering_office = models.CharField(
        max_length=200, blank=True, help_text="Office that runs the program."
    )
    statute = models.CharField(
        max_length=200,
        blank=True,
        help_text="Authorising statute, e.g. '34 U.S.C. § 10151 et seq.'",
    )
    description = models.TextField(blank=True, help_text="Plain summary. Shown publicly.")
    url = models.URLField(blank=True, help_text="Official program page.")
    sources = models.ManyToManyField(Source, blank=True, related_name="programs")

    objects = FundingProgramManager()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name

    def get_absolute_url(self) -> str:
        return record_url("cases:program-detail", "slug", self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class JurisdictionManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Jurisdiction(EditableRecord, TimeStampedModel):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200, help_text="Official name, e.g. 'City of Chicago'.")
    kind = models.CharField(max_length=16, choices=JurisdictionKind.choices)
    state = models.CharField(
        max_length=2,
        choices=USState.choices,
        help_text="The state or territory it lies in (the District of Columbia for Washington).",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="jurisdictions")

    objects = JurisdictionManager()
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["name"]
        constraints = [
            _valid("kind", JurisdictionKind, "jurisdiction_kind_valid"),
            _valid("state", USState, "jurisdiction_state_valid"),
            models.UniqueConstraint(fields=["name", "state"], name="jurisdiction_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.state}"

    def get_absolute_url(self) -> str:
        return record_url("cases:jurisdiction-detail", "slug", self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


# --- Policies -----------------------------------------------------------------------------------


class PolicyManager(models.Manager.from_queryset(PublishableQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Policy(EditableRecord, PublishableModel):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300, help_text="Official or descriptive title.")
    short_title = models.CharField(
        max_length=80, help_text="Short name used in tables, e.g. 'EO 13768 §9(a)'."
    )
    kind = models.CharField(max_length=24, choices=PolicyKind.choices)
    issued_by = models.CharField(max_length=200, help_text="Who issued it.")
    issued_on = models.DateField(help_text="Date signed or announced.")
    issued_on_precision = models.CharField(
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How exactly the issue date is known; the day is not shown unless exact.",
    )
    citation = models.CharField(
        max_length=200, blank=True, help_text="Formal citation, e.g. '82 Fed. Reg. 8799'."
    )
    summary = models.TextField(help_text="What the policy does, in plain words. Shown publicly.")
    programs = models.ManyToManyField(
        FundingProgram,
        blank=True,
        related_name="policies",
        help_text="Funding programs this policy conditions or affects.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The policy this one implements, interprets or follows up.",
    )
    targets = models.ManyToManyField(
        Jurisdiction,
        blank=True,
        related_name="targeted_by",
        help_text="Jurisdictions the policy names (for example, recipients of letters).",
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text="Date the policy stopped having effect (revoked, repealed, expired).",
    )
    end_kind = models.CharField(
        max_length=16,
        choices=PolicyEnd.choices,
        blank=True,
        help_text=(
            "How the policy ended; leave blank while it stands. 'Ended with the order it "
            "interprets' is for a memo whose parent order was revoked."
        ),
    )
    ended_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="What ended it, e.g. 'Executive Order 13993 (86 Fed. Reg. 7051)'.",
    )
    end_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies_ended",
        help_text="The document that ended it (the revoking order, the agency's notice).",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="policies")

    objects = PolicyManager()
    history = HistoricalRecords(m2m_fields=[programs, targets, sources])

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["issued_on", "slug"]
        constraints = [
            _valid("kind", PolicyKind, "policy_kind_valid"),
            _valid("issued_on_precision", DatePrecision, "policy_precision_valid"),
            _valid("publication_state", PublicationState, "policy_publication_valid"),
            models.CheckConstraint(
                condition=Q(end_kind="") | Q(end_kind__in=PolicyEnd.values),
                name="policy_end_kind_valid",
            ),
            # An end is recorded completely or not at all.
            models.CheckConstraint(
                condition=(Q(end_kind="") & Q(ended_on__isnull=True))
                | (~Q(end_kind="") & Q(ended_on__isnull=False)),
                name="policy_end_complete",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("issued_on")),
                name="policy_ended_not_before_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.short_title

    def get_absolute_url(self) -> str:
        return record_url("cases:policy-detail", "slug", self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class PolicyPartManager(models.Manager):
    def get_by_natural_key(self, policy_slug, slug):
        return self.get(policy__slug=policy_slug, slug=slug)


class PolicyPart(EditableRecord, TimeStampedModel):
    """A severable part of a policy that courts rule on separately, e.g. the notice condition
    of the FY2017 Byrne JAG conditions. A policy without parts is ruled on as a whole."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="parts")
    slug = models.SlugField(max_length=60, help_text="Short key within the policy, e.g. 'notice'.")
    name = models.CharField(
        max_length=120,
        help_text="Name used in statuses, lower case, e.g. 'notice condition'.",
    )
    description = models.TextField(blank=True, help_text="What this part requires. Public.")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in which parts are listed (smallest first)."
    )

    objects = PolicyPartManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "slug"], name="part_unique_slug_per_policy")
        ]

    def __str__(self) -> str:
        return f"{self.policy.short_title}: {self.name}"

    def natural_key(self) -> tuple[str, str]:
        return (self.policy.slug, self.slug)

    natural_key.dependencies = ["cases.policy"]


# --- Lawsuits -----------------------------------------------------------------------------------


class LawsuitManager(models.Manager.from_queryset(PublishableQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Lawsuit(EditableRecord, PublishableModel):
    slug = models.SlugField(max_length=100, unique=True)
    caption = models.CharField(
        max_length=200, help_text="Short caption, e.g. 'City of Chicago v. Sessions'."
    )
    full_caption = models.CharField(
        max_length=500, blank=True, help_text="Caption as it appears on the docket."
    )
    court = models.ForeignKey(
        Court,
        on_delete=models.PROTECT,
        related_name="lawsuits",
        help_text="Court where the suit was filed.",
    )
    docket_number = models.CharField(
        max_length=60, help_text="Docket number in that court, e.g. '1:17-cv-05720'."
    )
    judge = models.CharField(max_length=200, blank=True, help_text="Presiding judge.")
    filed_on = models.DateField(help_text="Date the complaint was filed.")
    filed_on_precision = models.CharField(
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How exactly the filing date is known; the day is not shown unless exact.",
    )
    closed_on = models.DateField(null=True, blank=True, help_text="Date the case was closed.")
    status = models.CharField(
        max_length=16, choices=LawsuitStatus.choices, default=LawsuitStatus.PENDING
    )
    plaintiffs = models.ManyToManyField(
        Jurisdiction, related_name="lawsuits", help_text="Jurisdictions that brought the suit."
    )
    defendants = models.TextField(
        blank=True, help_text="Named defendants, one per line, as on the docket."
    )
    policies = models.ManyToManyField(
        Policy,
        blank=True,
        related_name="lawsuits",
        help_text=(
            "Policies the suit challenges. Leave empty only while the challenged policy is not "
            "yet recorded, and name it in the summary."
        ),
    )
    related = models.ManyToManyField(
        "self",
        blank=True,
        help_text="Related or consolidated cases (the link is shown on both).",
    )
    summary = models.TextField(blank=True, help_text="What the suit is about. Shown publicly.")
    sources = models.ManyToManyField(Source, blank=True, related_name="lawsuits")

    objects = LawsuitManager()
    history = HistoricalRecords(m2m_fields=[plaintiffs, policies, sources])

    class Meta:
        ordering = ["filed_on", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "docket_number"], name="lawsuit_unique_docket_per_court"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("filed_on")),
                name="lawsuit_closed_not_before_filed",
            ),
            _valid("status", LawsuitStatus, "lawsuit_status_valid"),
            _valid("filed_on_precision", DatePrecision, "lawsuit_precision_valid"),
            _valid("publication_state", PublicationState, "lawsuit_publication_valid"),
        ]
        indexes = [
            # Lawsuit list filtered by court, newest filings first.
            models.Index(fields=["court", "filed_on"], name="lawsuit_court_filed_idx"),
            # Lawsuit list sorted by filing date and the filed_after/filed_before filters.
            models.Index(fields=["filed_on", "slug"], name="lawsuit_filed_idx"),
            # Lawsuit list in its default order, newest filing first (`-filed_on`, then slug):
            # the first page without a full sort.
            models.Index(fields=["-filed_on", "slug"], name="lawsuit_newest_idx"),
            # Lawsuit list filtered by status (`status=`) in the default order, and `sort=status`.
            models.Index(fields=["status", "-filed_on", "slug"], name="lawsuit_status_filed_idx"),
            # Lawsuit list sorted by caption (`sort=caption`).
            models.Index(fields=["caption", "slug"], name="lawsuit_caption_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.caption} ({self.docket_number})"

    def get_absolute_url(self) -> str:
        return record_url("cases:lawsuit-detail", "slug", self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


# --- Rulings ------------------------------------------------------------------------------------


class Ruling(EditableRecord, PublishableModel):
    lawsuits = models.ManyToManyField(
        Lawsuit,
        related_name="rulings",
        help_text="Every case the order was issued in (one order in related cases is one ruling).",
    )
    court = models.ForeignKey(
        Court, on_delete=models.PROTECT, related_name="rulings", help_text="Issuing court."
    )
    docket_number = models.CharField(
        max_length=100,
        blank=True,
        help_text="Docket or appeal number(s) in the issuing court, e.g. '17-2991'.",
    )
    decided_on = models.DateField(help_text="Date the ruling was issued.")
    kind = models.CharField(max_length=32, choices=RulingKind.choices)
    outcome = models.CharField(max_length=16, choices=RulingOutcome.choices)
    scope = models.CharField(
        max_length=16,
        choices=RulingScope.choices,
        default=RulingScope.NONE,
        help_text="Reach of any relief the ruling orders or leaves in place.",
    )
    judges = models.CharField(
        max_length=300,
        blank=True,
        help_text="Judge(s); for panels name the author first, e.g. 'Rovner (opinion), Bauer'.",
    )
    citation = models.CharField(
        max_length=100, blank=True, help_text="Reporter citation, e.g. '888 F.3d 272'."
    )
    reviews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_by",
        help_text="The lower ruling this one reviews on appeal or rehearing.",
    )
    disposition = models.CharField(
        max_length=20,
        choices=Disposition.choices,
        blank=True,
        default=Disposition.NONE,
        help_text="What this ruling did to the ruling it reviews.",
    )
    grounds = models.ManyToManyField(
        Ground, blank=True, related_name="rulings", help_text="Legal grounds the ruling rests on."
    )
    policies = models.ManyToManyField(
        Policy,
        through="RulingEffect",
        through_fields=("ruling", "policy"),
        related_name="rulings",
        blank=True,
    )
    summary = models.TextField(blank=True, help_text="What the court decided. Shown publicly.")
    sources = models.ManyToManyField(Source, blank=True, related_name="rulings")

    history = HistoricalRecords(m2m_fields=[lawsuits, grounds, sources])

    class Meta:
        ordering = ["decided_on", "pk"]
        get_latest_by = "decided_on"
        constraints = [
            _valid("kind", RulingKind, "ruling_kind_valid"),
            _valid("outcome", RulingOutcome, "ruling_outcome_valid"),
            _valid("scope", RulingScope, "ruling_scope_valid"),
            _valid("publication_state", PublicationState, "ruling_publication_valid"),
            models.CheckConstraint(
                condition=Q(disposition__in=Disposition.values), name="ruling_disposition_valid"
            ),
            # A disposition only makes sense on a ruling that reviews another.
            models.CheckConstraint(
                condition=Q(disposition="") | Q(reviews__isnull=False),
                name="ruling_disposition_needs_review",
            ),
            models.CheckConstraint(condition=~Q(reviews=F("id")), name="ruling_not_review_itself"),
        ]
        indexes = [
            # Rulings list filtered by court (and circuit), newest first, and its count: only
            # published rulings, so the count is read from the index alone. It carries the
            # kind, outcome and scope (PostgreSQL), so the facets count a court's rulings by
            # them from the index alone too.
            models.Index(
                fields=["court", "-decided_on", "-id"],
                condition=Q(publication_state=PublicationState.PUBLISHED),
                include=["kind", "outcome", "scope"],
                name="ruling_court_published_idx",
            ),
            # Rulings list sorted by date and the decided_after/decided_before filters.
            models.Index(fields=["decided_on", "id"], name="ruling_decided_idx"),
            # Rulings list filtered by kind (`kind=`) in the default order (newest first), and
            # `sort=kind` (kind, then newest first).
            models.Index(fields=["kind", "-decided_on", "-id"], name="ruling_kind_decided_idx"),
            # Rulings list filtered by outcome (`outcome=`), and `sort=outcome`.
            models.Index(
                fields=["outcome", "-decided_on", "-id"], name="ruling_outcome_decided_idx"
            ),
            # Rulings list filtered by scope (`scope=`) in the default order.
            models.Index(fields=["scope", "-decided_on", "-id"], name="ruling_scope_decided_idx"),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label}, {self.court.citation_string}, {self.decided_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return record_url("cases:ruling-detail", "pk", self.pk)


class RulingEffect(EditableRecord, TimeStampedModel):
    """What one ruling did to one policy, or to some of its parts, and for whom.

    One ruling may have several effects on one policy: a court can block two conditions and
    decline to block a third, or grant an injunction and stay its nationwide reach the same day.
    """

    ruling = models.ForeignKey(Ruling, on_delete=models.CASCADE, related_name="effects")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="effects")
    parts = models.ManyToManyField(
        PolicyPart,
        blank=True,
        related_name="effects",
        help_text=(
            "The parts of the policy this effect reaches; leave empty for the whole policy. "
            "Example: Chicago's Sept 2017 injunction reached the notice and access conditions."
        ),
    )
    effect = models.CharField(
        max_length=16,
        choices=Effect.choices,
        help_text=(
            "What the ruling did. An injunction: 'blocks'. An appeal that affirms: 'keeps "
            "block'. A reversal or vacatur of an injunction: 'lifts block'. An order staying an "
            "injunction pending appeal: 'stays' (it suspends, it does not end)."
        ),
    )
    reach = models.CharField(
        max_length=16,
        choices=Reach.choices,
        blank=True,
        default=Reach.NOT_APPLICABLE,
        help_text=(
            "Who is protected, as the court said it: for 'blocks' and 'narrows block' the reach "
            "of the relief; for 'stays' who stays protected (nobody: the stay is complete; the "
            "named jurisdictions: 'nationwide effect stayed, the plaintiffs stay protected')."
        ),
    )
    states = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_state_codes],
        help_text="For a reach within named states: their two-letter codes, e.g. 'CA'.",
    )
    protected = models.ManyToManyField(
        Jurisdiction,
        blank=True,
        related_name="protecting_effects",
        help_text=(
            "For a reach of named jurisdictions: each one the court protected (the plaintiffs, "
            "or an association's members where the court said so)."
        ),
    )
    stays_ruling = models.ForeignKey(
        Ruling,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stayed_by_effects",
        help_text=(
            "For 'stays': the ruling whose block is stayed (it may be this ruling itself, when "
            "an order grants relief and stays part of it the same day)."
        ),
    )
    stay_ends_on = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "For 'stays': the day the stay was lifted, if an order lifted it; leave empty when "
            "it lasted until the appeal was decided (that ends it by itself)."
        ),
    )
    holding = models.CharField(
        max_length=16,
        choices=Holding.choices,
        blank=True,
        default=Holding.NONE,
        help_text=(
            "For a court of appeals' or the Supreme Court's decision on the merits: what it "
            "held. It binds the courts of that circuit (all courts for the Supreme Court)."
        ),
    )
    detail = models.CharField(
        max_length=300,
        blank=True,
        help_text="A short public note on what the court said, e.g. 'relief limited to Chicago'.",
    )

    history = HistoricalRecords(m2m_fields=[parts, protected])

    class Meta:
        ordering = ["ruling", "policy", "pk"]
        constraints = [
            _valid("effect", Effect, "effect_valid"),
            models.CheckConstraint(condition=Q(reach__in=Reach.values), name="effect_reach_valid"),
            models.CheckConstraint(
                condition=Q(holding__in=Holding.values), name="effect_holding_valid"
            ),
            # A block says whom it protects; a stay says what it stays.
            models.CheckConstraint(
                condition=~Q(effect__in=[Effect.BLOCKS, Effect.NARROWS_BLOCK, Effect.STAYS])
                | ~Q(reach=""),
                name="effect_reach_given",
            ),
            models.CheckConstraint(
                condition=Q(effect=Effect.STAYS, stays_ruling__isnull=False)
                | (~Q(effect=Effect.STAYS) & Q(stays_ruling__isnull=True)),
                name="effect_stay_names_ruling",
            ),
            models.CheckConstraint(
                condition=Q(stay_ends_on__isnull=True) | Q(effect=Effect.STAYS),
                name="effect_stay_end_only_for_stays",
            ),
            models.CheckConstraint(
                condition=Q(states="") | Q(reach=Reach.STATES), name="effect_states_need_reach"
            ),
        ]
        indexes = [
            # Status rebuilds and the policy filters: every effect on a policy.
            models.Index(fields=["policy", "ruling"], name="effect_policy_ruling_idx"),
            # A ruling's effects, and the policy and program facets of a list of rulings: the
            # policies of each ruling read from the index alone.
            models.Index(fields=["ruling", "policy"], name="effect_ruling_policy_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_effect_display()}: {self.policy}"

    def get_absolute_url(self) -> str:
        return self.ruling.get_absolute_url()


class RulingExportRow(models.Model):
    """A ruling's related names as its export writes them, kept current by the database.

    On PostgreSQL, triggers (migrations 0018, 0020 and 0025) rewrite a ruling's row in the same
    statement as any change to its lawsuits, effects (their parts and protected jurisdictions
    too) or grounds, or to the captions, titles, names, dates, slugs or publication states
    those lists show, so the rulings export reads one row per ruling
    through a join instead of a subquery per list per ruling. Each list holds the published
    names in the export's order, separated by U+001F; NULL when there are none. SQLite keeps
    no rows here: its exports gather the names as they go.
    """

    ruling = models.OneToOneField(
        Ruling,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="export_row",
    )
    # NULL, as string_agg gives it, when there are no names (an export writes it as none).
    lawsuits = models.TextField(null=True)  # noqa: DJ001
    effects = models.TextField(null=True)  # noqa: DJ001
    grounds = models.TextField(null=True)  # noqa: DJ001
    # The `effects` export column as written: the JSON array text and the CSV cell text
    # (migration 0020).
    effects_json = models.TextField(null=True)  # noqa: DJ001
    effects_csv = models.TextField(null=True)  # noqa: DJ001
    # The ruling's JSON record as the export writes it, U+0003 standing for the list's address
    # in its url; rewritten with the row and whenever the ruling or its court's name changes
    # what it shows (migration 0025).
    record_json = models.TextField(null=True)  # noqa: DJ001

    def __str__(self) -> str:
        return f"Export row of ruling {self.ruling_id}"


class RulingMonthCount(models.Model):
    """How many published rulings each court decided in each month, kept current by the database.

    On PostgreSQL, triggers on the rulings (migration 0023) add and subtract in the same
    statement as any ruling inserted, deleted, published, withdrawn or moved to another court or
    month, so the court facet of the rulings list under date bounds alone sums about a hundred
    courts' months instead of counting every ruling (`cases.facets.court_months`). SQLite keeps
    no rows here: its facets count the rulings.
    """

    pk = models.CompositePrimaryKey("court", "month")
    court = models.ForeignKey(
        Court, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField()  # the first day of the month
    rulings = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.court_id} {self.month:%Y-%m}: {self.rulings} rulings"


# --- Stored statuses ----------------------------------------------------------------------------

# The open end of a stored status: "still so" (a date, not NULL, so one index serves both ends).
STILL_SO = datetime.date.max


def _stretch_meta(prefix: str) -> tuple[list, list]:
    """For a table of stretches of days: the index every lookup by policy and date reads, and
    the check that a stretch holds at least one day."""
    lookup = models.Index(fields=["policy", "valid_from", "valid_to"], name=f"{prefix}_lookup")
    not_empty = models.CheckConstraint(
        condition=Q(valid_to__gt=F("valid_from")), name=f"{prefix}_not_empty"
    )
    return [lookup], [not_empty]


class StatusInterval(models.Model):
    """A policy's status, or one of its parts', over a stretch of days, as `cases.status` derives
    it: from `valid_from` up to the day before `valid_to` (`STILL_SO`: for good).

    Nobody edits these rows: cases/status/store.py rewrites a policy's rows in the same
    transaction as any change to its rulings, their effects, the policy, its parts, a court's
    appeal route or a publication state, and `manage.py rebuild_statuses` rewrites them all.
    Every read of a status is a lookup here by policy and date.
    """

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    # None: the policy as a whole; "": the single part of a policy without parts.
    part_slug = models.CharField(max_length=60, null=True)  # noqa: DJ001
    valid_from = models.DateField()
    valid_to = models.DateField(default=STILL_SO)
    code = models.CharField(max_length=32)
    label = models.CharField(max_length=200)
    text = models.TextField(help_text="The headline (the policy) or the clause (a part).")
    reach = models.TextField(blank=True, help_text="Who is protected, in words.")
    controlling = models.JSONField(default=list, help_text="Ids of the controlling rulings.")
    detail = models.JSONField(default=dict, help_text="Holdings, appeal, the day's rulings.")
    # For the policy as a whole: whether the status reads differently from the day before (a
    # change in its history), not only in the rulings behind it.
    is_change = models.BooleanField(default=False)

    class Meta:
        indexes, constraints = _stretch_meta("status_interval")

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.part_slug}: {self.code} from {self.valid_from}"


class StatusBlock(models.Model):
    """One block (an order keeping a policy or part from applying) as it stood over a stretch of
    days: who it protects, who shaped it, any stay. Stored beside `StatusInterval`, one row per
    change of the block rather than per day, so a status with many blocks stays small."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    part_slug = models.CharField(max_length=60, blank=True)
    source = models.IntegerField(help_text="Id of the ruling that granted the block.")
    valid_from = models.DateField()
    valid_to = models.DateField(default=STILL_SO)
    detail = models.JSONField(default=dict, help_text="Steps, reach, ordered reach and stay.")

    class Meta:
        indexes, constraints = _stretch_meta("status_block")

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.part_slug}: block by ruling {self.source}"


class StatusProblem(models.Model):
    """Something odd in the records that the status rules met (a stay of a ruling with no
    block, a review without a disposition, a loop in appeal routes), shown to editors on the
    policy's admin page from the first day it matters."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="status_problems")
    since = models.DateField()
    message = models.TextField()

    class Meta:
        ordering = ["policy", "since", "id"]

    def __str__(self) -> str:
        return self.message
