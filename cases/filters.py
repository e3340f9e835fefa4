"""One FilterSet per public list. The list page and its CSV/JSON export share it, so a download
always holds exactly the rows the page describes, in the same order.

Parameter names are a public contract (DESIGN.md): people link to them and scripts call them.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.choices import BaseChoiceIterator

from cases.caching import DataVersion, request_version, until_next_change
from cases.models import (
    Court,
    CourtLevel,
    FundingProgram,
    Ground,
    Jurisdiction,
    JurisdictionKind,
    Lawsuit,
    LawsuitStatus,
    Policy,
    PolicyKind,
    PublicationState,
    Ruling,
    RulingEffect,
    RulingKind,
    RulingOutcome,
    RulingScope,
)
from cases.rendering import FilterFormRenderer
from cases.selectors import circuit_courts_now
from cases.status import StatusCode, stored_rows_on

DATE_HELP = "YYYY-MM-DD"
# Other records are reached through published policies only: a link through a draft is no
# public link (a ruling whose only effect is on a draft policy is on no program's record).
PUBLIC_POLICY = {"policy__publication_state": PublicationState.PUBLISHED}
FILTER_FORM_RENDERER = FilterFormRenderer()
_FORM_CLASSES: dict[type, type[forms.Form]] = {}


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictDateField(forms.DateField):
    """A date written YYYY-MM-DD and nothing else: `2017-1-1` (which strptime would take),
    `2017-W01-1` or `20170101` are errors, never a guess."""

    default_error_messages = {"invalid": "Enter a date written YYYY-MM-DD, e.g. 2017-11-20."}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class StrictDateFilter(django_filters.DateFilter):
    """A date filter that accepts only ISO dates (2017-11-20), so a typo is an error."""

    field_class = StrictDateField


class TrueCheckbox(forms.CheckboxInput):
    """A checkbox that sends `true` when ticked, and hands its field the value as given."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value is True or value == "true")

    def format_value(self, value) -> str:
        return "true"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.Field):
    """`true` or `false` and nothing else (`maybe`, `on`, `1`, `True` are errors); empty or
    absent: no filter."""

    widget = TrueCheckbox
    default_error_messages = {"invalid": "Use true or false."}

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        if value == "true":
            return True
        if value == "false":
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class AsOfForm(forms.Form):
    """The `as_of` date of the dashboard and the policy pages."""

    as_of = StrictDateField(
        required=False,
        label="As of",
        help_text="The day to show statuses for, YYYY-MM-DD; empty for today",
    )


class CachedChoices(BaseChoiceIterator):
    """A form field's choices, built by `build(version)` (which takes them from the cache kept
    until the data next changes) when first gone through, so a form validated against an empty
    value never reads them. Each form gets its own, given the request's data version by
    TrackerFilterSet.form (`for_version`), so a form class kept from one request to the next
    never shows old ones. Unlike a callable's, they are not normalised again at every pass (a
    court <select> is gone through several times a page): `build` returns them in Django's
    normal form, (value, label) pairs or (group, [(value, label)])."""

    def __init__(self, build: Callable[[DataVersion | None], list], version=None):
        self.build = build
        self.version = version
        self.loaded: list | None = None

    def for_version(self, version: DataVersion | None) -> CachedChoices:
        return CachedChoices(self.build, version)

    def __iter__(self):
        if self.loaded is not None:
            return iter(self.loaded)
        choices = self.build(self.version)
        if self.version is not None:
            self.loaded = choices
        return iter(choices)

    def __deepcopy__(self, memo) -> CachedChoices:
        return CachedChoices(self.build, self.version)


class SlugField(django_filters.fields.ChoiceField):
    """A record chosen by its slug from a short list kept until the data next changes; cleans to
    the record's primary key, so filtering needs no query to look the record up. The list is
    read only when the form is shown or a value is given, never to validate an empty field."""

    def __init__(self, *args, choices_name: str, source, **kwargs):
        # Nothing read is kept on the field: a form class, and so its fields, outlive requests.
        self.rows = functools.partial(_slug_rows, choices_name, source)
        choices = CachedChoices(functools.partial(_slug_choices, self.rows))
        super().__init__(*args, choices=choices, **kwargs)

    def clean(self, value):
        slug = super().clean(value)
        if not slug:
            return None
        return {s: pk for s, _, pk in self.rows(getattr(self, "data_version", None))}.get(slug)


def _slug_rows(choices_name: str, source, version) -> list[tuple[str, str, int]]:
    """(slug, label, primary key) of each record `source()` gives, until the data next changes."""
    return until_next_change(
        version, choices_name, lambda: [(obj.slug, str(obj), obj.pk) for obj in source()]
    )


def _slug_choices(rows, version) -> list[tuple[str, str]]:
    return [(slug, label) for slug, label, _ in rows(version)]


class SlugChoiceFilter(django_filters.ChoiceFilter):
    """Choose one of a few records (policies, programs, grounds) by its slug, from a <select>.

    The value reaching `filter_related` is the record's primary key.
    """

    field_class = SlugField

    def __init__(self, *args, queryset, **kwargs):
        model = queryset.model
        kwargs.setdefault("method", "filter_related")
        # One list per model: every FilterSet offers the same records of a model.
        kwargs.setdefault("choices_name", model._meta.label_lower)
        super().__init__(*args, source=lambda: queryset.all(), **kwargs)


class SlugLookupFilter(django_filters.ModelChoiceFilter):
    """Choose one of many records (lawsuits, jurisdictions) by the slug typed in a text box;
    looked up only when given."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("method", "filter_related")
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class SortFilter(django_filters.ChoiceFilter):
    """`sort=<key>`, applied after every other filter by TrackerFilterSet.

    Each key maps to an ordering that ends in a unique column, so pages and exports never
    shuffle rows that tie.
    """

    def __init__(self, *, orderings: dict[str, tuple[str, tuple[str, ...]]], default: str):
        self.orderings = orderings
        self.default = default
        choices = [(key, label) for key, (label, _) in orderings.items()]
        super().__init__(choices=choices, empty_label=None, label="Sort by", method=self.keep)

    @staticmethod
    def keep(queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # ordering is applied last, by TrackerFilterSet.filter_queryset

    def order(self, queryset: QuerySet, key: str | None) -> QuerySet:
        return queryset.order_by(*self.orderings[key or self.default][1])


class ShallowlyCopiedFields(dict):
    """A filter form class's fields, which each form copies (Django deep-copies them): a field
    and its widget are copied shallowly, their attributes copied, their choices, validators and
    messages shared (nothing changes them in place; a form that gives a field other choices
    assigns new ones, on its own copy). A field whose class copies more of its own (a
    ModelChoiceField's queryset) is deep-copied as Django does."""

    def __deepcopy__(self, memo) -> dict[str, forms.Field]:
        return {name: _form_copy(field, memo) for name, field in self.items()}


_SHALLOW_FIELD_COPIES = {forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__}


def _form_copy(field: forms.Field, memo) -> forms.Field:
    if type(field).__deepcopy__ not in _SHALLOW_FIELD_COPIES:
        return copy.deepcopy(field, memo)
    own = copy.copy(field)
    own.widget = copy.copy(field.widget)
    own.widget.attrs = field.widget.attrs.copy()
    return own


class TrackerFilterSet(django_filters.FilterSet):
    """Shared behaviour: strict validation, a free-text `q`, and `sort`."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=200, help_text="Words to look for"
    )
    search_fields: tuple[str, ...] = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        """As django-filter's, but each filter is copied shallowly instead of deep-copied (with
        its choices, its queryset and its form field): nothing a request does changes a filter
        beyond the `model` and `parent` set here, and a deep copy of a list's filters took a
        tenth of what its first view took to build."""
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _own_copy(f, self) for name, f in self.base_filters.items()}

    def get_form_class(self) -> type[forms.Form]:
        """The form class, built once per FilterSet class rather than once per request: its
        fields hold nothing of a request (every form copies them, ShallowlyCopiedFields, and
        each copy reads its choices afresh). Its widgets are rendered by FILTER_FORM_RENDERER."""
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            form_class.default_renderer = FILTER_FORM_RENDERER
            form_class.base_fields = ShallowlyCopiedFields(form_class.base_fields)
            _FORM_CLASSES[type(self)] = form_class
        return form_class

    @property
    def data_version(self) -> DataVersion | None:
        """The data version the request read (None outside a public page)."""
        return request_version(self.request)

    @property
    def form(self) -> forms.Form:
        """The form, its choices bound to the request's data version."""
        if not hasattr(self, "_form"):
            form = super().form
            version = self.data_version
            for field in form.fields.values():
                field.data_version = version
                choices = getattr(field, "choices", None)
                # django-filter wraps a field's choices in an iterator adding the empty choice.
                choices = getattr(choices, "choices", choices)
                if isinstance(choices, CachedChoices):
                    field.choices = choices.for_version(version)
        return self._form

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split()[:10]:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        sort = self.filters.get("sort")
        if isinstance(sort, SortFilter):
            queryset = sort.order(queryset, self.form.cleaned_data.get("sort"))
        return queryset

    def keep(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # a choice of how the form is shown, not of the records

    def filter_related(self, queryset: QuerySet, name: str, value) -> QuerySet:
        raise NotImplementedError  # each FilterSet that uses SlugChoiceFilter defines its own

    @property
    def errors_text(self) -> str:
        """The form's errors as short plain text, for exports and 400 responses."""
        parts = []
        for field, errors in self.form.errors.items():
            label = field if field != "__all__" else "query"
            parts.append(f"{label}: {' '.join(errors)}")
        return "; ".join(parts)


def _own_copy(filter_: django_filters.Filter, parent: TrackerFilterSet) -> django_filters.Filter:
    """A filter for one FilterSet: a shallow copy, its `method` bound to the copy (django-filter
    binds a filter's method to the filter itself, which finds the FilterSet as its `parent`),
    its form field shared."""
    own = copy.copy(filter_)
    own.model = parent.queryset.model
    own.parent = parent
    if filter_.method is not None:
        own.method = filter_.method  # a new FilterMethod, calling the copy's parent
    if "_field" not in vars(filter_):
        # The filter's form field (read to filter several values), built once, on the first
        # copy (the model's labels known), then shared by every copy as the form class's is.
        filter_._field = own.field
    return own


def court_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every court, grouped by level, for the court <select>."""
    groups: dict[str, list[tuple[str, str]]] = {label: [] for _, label in CourtLevel.choices}
    labels = dict(CourtLevel.choices)
    for pk, name, level in Court.objects.order_by("name").values_list("id", "name", "level"):
        groups[labels[level]].append((pk, name))
    order = [CourtLevel.SUPREME, CourtLevel.APPELLATE, CourtLevel.DISTRICT, CourtLevel.SPECIAL]
    return [(labels[level], groups[labels[level]]) for level in order if groups[labels[level]]]


def circuit_choices() -> list[tuple[str, str]]:
    return list(
        Court.objects.filter(level=CourtLevel.APPELLATE).order_by("name").values_list("id", "name")
    )


def _courts_now(version: DataVersion | None) -> list:
    return until_next_change(version, "courts", court_choices)


def _circuits_now(version: DataVersion | None) -> list:
    return until_next_change(version, "circuits", circuit_choices)


# --- The filtering vocabulary: the lists' FilterSets and the timeline narrow records with these,
# so `court`, `circuit`, `policy`, `program` and `lawsuit` mean the same everywhere.


def in_courts(
    queryset: QuerySet,
    courts: Iterable[str] = (),
    circuit: str | None = None,
    version: DataVersion | None = None,
    field: str = "court_id",
) -> QuerySet:
    """Records whose `field` (a court id) is one of `courts` (if given) and in `circuit`: the
    court of appeals and the courts whose appeals go to it (if given)."""
    courts = list(courts)
    if courts:
        queryset = queryset.filter(**{f"{field}__in": courts})
    if circuit:
        # The circuit's courts by id, from a list kept until the data next changes: the
        # rulings' (or lawsuits') court index then serves the filter and its count, no join.
        members = circuit_courts_now(version).get(circuit, [circuit])
        queryset = queryset.filter(**{f"{field}__in": members})
    return queryset


def rulings_with_effect_on(queryset: QuerySet, *, policies=(), programs=()) -> QuerySet:
    """Rulings with an effect on one of the published `policies`, or on a published policy
    conditioning one of the `programs` (records or primary keys)."""
    effects = RulingEffect.objects.filter(ruling=OuterRef("pk"), **PUBLIC_POLICY)
    if policies:
        queryset = queryset.filter(Exists(effects.filter(policy__in=list(policies))))
    if programs:
        queryset = queryset.filter(Exists(effects.filter(policy__programs__in=list(programs))))
    return queryset


def rulings_in(queryset: QuerySet, lawsuits) -> QuerySet:
    """Rulings issued in one of `lawsuits`."""
    links = Lawsuit.rulings.through.objects.filter(ruling=OuterRef("pk"), lawsuit__in=lawsuits)
    return queryset.filter(Exists(links))


def lawsuits_challenging(queryset: QuerySet, *, policies=(), programs=()) -> QuerySet:
    """Lawsuits challenging one of the published `policies`, or a published policy
    conditioning one of the `programs`."""
    challenged = Lawsuit.policies.through.objects.filter(lawsuit=OuterRef("pk"), **PUBLIC_POLICY)
    if policies:
        queryset = queryset.filter(Exists(challenged.filter(policy__in=list(policies))))
    if programs:
        queryset = queryset.filter(Exists(challenged.filter(policy__programs__in=list(programs))))
    return queryset


class CourtField(forms.MultipleChoiceField):
    """Court ids, validated against the courts table. The courts are read (or taken from the
    cache) only when the form is shown or a court is given."""

    def __init__(self, *args, **kwargs):
        kwargs["choices"] = CachedChoices(_courts_now)
        super().__init__(*args, **kwargs)

    def valid_value(self, value) -> bool:
        if not hasattr(self, "_valid_ids"):
            self._valid_ids = {pk for _, group in self.choices for pk, _ in group}
        return value in self._valid_ids


class CourtFilter(django_filters.MultipleChoiceFilter):
    field_class = CourtField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", "Court")
        kwargs.setdefault("help_text", "One or more courts")
        kwargs.setdefault("distinct", False)
        super().__init__(*args, choices=[], **kwargs)


class CircuitField(django_filters.fields.ChoiceField):
    """A court of appeals' id (`ca7`), from the circuits kept until the data next changes."""

    def __init__(self, *args, **kwargs):
        kwargs["choices"] = CachedChoices(_circuits_now)
        kwargs.setdefault("label", "Circuit")
        super().__init__(*args, **kwargs)


class CircuitFilter(django_filters.ChoiceFilter):
    """`circuit=ca7`: the court of appeals and every court whose appeals go to it."""

    def __init__(self, *args, court_field: str = "court", **kwargs):
        self.court_field = court_field
        kwargs.setdefault("help_text", "A court of appeals and the courts under it")
        super().__init__(*args, label="Circuit", **kwargs)

    field_class = CircuitField

    def filter(self, queryset, value: str | None):
        if not value:
            return queryset
        field = "pk" if self.court_field == "pk" else f"{self.court_field}_id"
        return in_courts(queryset, circuit=value, version=self.parent.data_version, field=field)


def all_courts_filter() -> StrictBooleanFilter:
    """`all_courts=true`: the form lists every court, not only those with a match (facets)."""
    return StrictBooleanFilter(
        method="keep", label="Show all courts", widget=forms.HiddenInput, required=False
    )


class RulingFilter(TrackerFilterSet):
    court = CourtFilter(field_name="court_id")
    all_courts = all_courts_filter()
    circuit = CircuitFilter(help_text="A court of appeals and the district courts under it")
    kind = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=RulingKind.choices,
        label="Kind of ruling",
    )
    outcome = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=RulingOutcome.choices,
        label="Outcome",
    )
    scope = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=RulingScope.choices,
        label="Scope",
    )
    decided_after = StrictDateFilter(
        field_name="decided_on", lookup_expr="gte", label="Decided on or after"
    )
    decided_before = StrictDateFilter(
        field_name="decided_on", lookup_expr="lte", label="Decided on or before"
    )
    policy = SlugChoiceFilter(queryset=Policy.objects.published(), label="Policy")
    program = SlugChoiceFilter(queryset=FundingProgram.objects.all(), label="Funding program")
    # A text box, not a <select>: there may be tens of thousands of lawsuits, and the lawsuit's
    # page links here with its slug filled in.
    lawsuit = SlugLookupFilter(
        queryset=Lawsuit.objects.published(),
        label="Lawsuit",
        help_text="The short name in the lawsuit's address, e.g. chicago-v-sessions",
    )
    ground = SlugChoiceFilter(queryset=Ground.objects.all(), label="Legal ground")
    sort = SortFilter(
        orderings={
            "-decided_on": ("Newest first", ("-decided_on", "-id")),
            "decided_on": ("Oldest first", ("decided_on", "id")),
            "court": ("Court", ("court__name", "-decided_on", "-id")),
            "kind": ("Kind", ("kind", "-decided_on", "-id")),
            "outcome": ("Outcome", ("outcome", "-decided_on", "-id")),
        },
        default="-decided_on",
    )

    search_fields = (
        "summary",
        "citation",
        "judges",
        "docket_number",
        "court__name",
        "court__citation_string",
    )

    class Meta:
        model = Ruling
        fields: list[str] = []

    def search(self, queryset, name, value):
        # Also match the caption or docket number of the case(s) the ruling was issued in.
        for word in value.split()[:10]:
            in_case = Lawsuit.objects.published().filter(
                Q(caption__icontains=word) | Q(docket_number__icontains=word),
                rulings=OuterRef("pk"),
            )
            condition = Exists(in_case)
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(condition)
        return queryset

    def filter_related(self, queryset, name, value):
        if name == "policy":
            return rulings_with_effect_on(queryset, policies=[value])
        if name == "program":
            return rulings_with_effect_on(queryset, programs=[value])
        if name == "lawsuit":
            return rulings_in(queryset, [value])
        return queryset.filter(
            Exists(Ruling.grounds.through.objects.filter(ruling=OuterRef("pk"), ground=value))
        )


class LawsuitFilter(TrackerFilterSet):
    court = CourtFilter(field_name="court_id")
    all_courts = all_courts_filter()
    circuit = CircuitFilter(help_text="Suits filed in a court of appeals' district courts")
    status = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=LawsuitStatus.choices,
        label="Status",
    )
    policy = SlugChoiceFilter(queryset=Policy.objects.published(), label="Policy challenged")
    program = SlugChoiceFilter(queryset=FundingProgram.objects.all(), label="Funding program")
    # A text box for the same reason as the rulings' `lawsuit`: jurisdictions are many.
    plaintiff = SlugLookupFilter(
        queryset=Jurisdiction.objects.all(),
        label="Plaintiff",
        help_text="The short name in the jurisdiction's address, e.g. chicago-il",
    )
    filed_after = StrictDateFilter(
        field_name="filed_on", lookup_expr="gte", label="Filed on or after"
    )
    filed_before = StrictDateFilter(
        field_name="filed_on", lookup_expr="lte", label="Filed on or before"
    )
    sort = SortFilter(
        orderings={
            "-filed_on": ("Newest filing first", ("-filed_on", "slug")),
            "filed_on": ("Oldest filing first", ("filed_on", "slug")),
            "caption": ("Caption", ("caption", "slug")),
            "court": ("Court", ("court__name", "-filed_on", "slug")),
            "status": ("Status", ("status", "-filed_on", "slug")),
        },
        default="-filed_on",
    )

    search_fields = ("caption", "full_caption", "docket_number", "judge", "summary", "defendants")

    class Meta:
        model = Lawsuit
        fields: list[str] = []

    def filter_related(self, queryset, name, value):
        if name == "program":
            return lawsuits_challenging(queryset, programs=[value])
        if name == "policy":
            return lawsuits_challenging(queryset, policies=[value])
        links = Lawsuit.plaintiffs.through.objects.filter(
            lawsuit=OuterRef("pk"), jurisdiction=value
        )
        return queryset.filter(Exists(links))


class PolicyFilter(TrackerFilterSet):
    status = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=StatusCode.choices,
        method="filter_status",
        label="Status",
    )
    as_of = StrictDateFilter(
        method="keep_as_of",
        label="Status as of",
        help_text="The day the statuses are for, YYYY-MM-DD; empty for today",
    )
    kind = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=PolicyKind.choices,
        label="Kind",
    )
    program = SlugChoiceFilter(queryset=FundingProgram.objects.all(), label="Funding program")
    sort = SortFilter(
        orderings={
            "issued_on": ("Oldest first", ("issued_on", "slug")),
            "-issued_on": ("Newest first", ("-issued_on", "slug")),
            "title": ("Title", ("short_title", "slug")),
            "kind": ("Kind", ("kind", "issued_on", "slug")),
        },
        default="issued_on",
    )

    search_fields = ("title", "short_title", "citation", "summary", "issued_by")

    class Meta:
        model = Policy
        fields: list[str] = []

    @property
    def as_of_date(self):
        """The day the list's statuses are for (None: today), once the form is valid."""
        return self.form.cleaned_data.get("as_of") if self.is_valid() else None

    def keep_as_of(self, queryset, name, value):
        return queryset  # chooses the day of the statuses, not the policies

    def filter_status(self, queryset, name, value: list[str]):
        # The stored status on the day (cases/status/store.py), in the list's own query.
        return queryset.filter(Exists(stored_rows_on(self.as_of_date).filter(code__in=value)))

    def filter_related(self, queryset, name, value):
        return queryset.filter(
            Exists(
                Policy.programs.through.objects.filter(policy=OuterRef("pk"), fundingprogram=value)
            )
        )


class ProgramFilter(TrackerFilterSet):
    sort = SortFilter(
        orderings={"name": ("Name", ("short_name", "slug"))},
        default="name",
    )
    search_fields = ("name", "short_name", "administering_office", "statute", "description")

    class Meta:
        model = FundingProgram
        fields: list[str] = []


class CourtListFilter(TrackerFilterSet):
    level = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=CourtLevel.choices,
        label="Level",
    )
    circuit = CircuitFilter(
        court_field="pk", help_text="A court of appeals and the courts under it"
    )
    has_cases = StrictBooleanFilter(
        method="filter_has_cases",
        label="Only courts with cases",
    )
    sort = SortFilter(
        orderings={
            "name": ("Name", ("name", "id")),
            "id": ("Identifier", ("id",)),
        },
        default="name",
    )
    search_fields = ("id", "name", "citation_string", "location")

    class Meta:
        model = Court
        fields: list[str] = []

    def filter_has_cases(self, queryset, name, value: bool | None):
        if not value:
            return queryset
        return queryset.filter(
            Q(Exists(Ruling.objects.published().filter(court=OuterRef("pk"))))
            | Q(Exists(Lawsuit.objects.published().filter(court=OuterRef("pk"))))
        )


class JurisdictionFilter(TrackerFilterSet):
    ROLE_CHOICES = [("plaintiff", "Plaintiff in a lawsuit"), ("target", "Named by a policy")]

    kind = django_filters.MultipleChoiceFilter(
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        choices=JurisdictionKind.choices,
        label="Kind",
    )
    state = django_filters.CharFilter(
        method="filter_state",
        label="State",
        help_text="Two-letter code, e.g. CA",
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Use a two-letter state code, e.g. CA.")],
    )
    role = django_filters.ChoiceFilter(choices=ROLE_CHOICES, method="filter_role", label="Role")
    sort = SortFilter(
        orderings={
            "name": ("Name", ("name", "slug")),
            "state": ("State", ("state", "name", "slug")),
        },
        default="name",
    )
    search_fields = ("name", "state")

    class Meta:
        model = Jurisdiction
        fields: list[str] = []

    def filter_state(self, queryset, name, value: str):
        return queryset.filter(state=value.upper())

    def filter_role(self, queryset, name, value: str):
        if value == "plaintiff":
            return queryset.filter(
                Exists(Lawsuit.objects.published().filter(plaintiffs=OuterRef("pk")))
            )
        return queryset.filter(Exists(Policy.objects.published().filter(targets=OuterRef("pk"))))
