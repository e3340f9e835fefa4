"""The editors' tool: one admin per record type, each with history and revert.

Every admin derives from SimpleHistoryAdmin, so each change is kept with who made it and can be
reverted from the record's history page. Changelists load a fixed number of queries whatever
their length (select_related / prefetch_related / annotations), related records are chosen by
autocomplete, and rules the database enforces across tables are checked in the forms first, so an
editor sees a form error rather than a server error.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponseBadRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from cases import exports
from cases.editing import VERSION_FIELD, EditForm, historical_m2m_initial
from cases.models import (
    Court,
    CourtLevel,
    FundingProgram,
    Ground,
    Jurisdiction,
    Lawsuit,
    Policy,
    PolicyPart,
    PublicationState,
    Ruling,
    RulingEffect,
    RulingKind,
    Source,
)
from cases.status import triggers as status_triggers
from cases.validation import appeal_route_loop, review_chain_loop

# The automatic table behind Ruling.lawsuits: one row per (ruling, lawsuit) link.
RulingLawsuit = Ruling.lawsuits.through

DATE_RULE_CODE = "ruling_not_before_lawsuit_filed"


# --- Shared pieces ------------------------------------------------------------------------------


class CourtLevelFilter(admin.ChoicesFieldListFilter):
    """The `court__level` filter, titled "court level" rather than the bare field name "level"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "court level"


class CourtWithRecordsFilter(admin.SimpleListFilter):
    """Courts that have at least one record of this admin's model, not all ~110 courts.

    When a court level is chosen too, only courts of that level are offered.
    """

    title = "court"
    parameter_name = "court"

    def lookups(self, request, model_admin):
        has_records = model_admin.model.objects.filter(court=OuterRef("pk"))
        courts = Court.objects.filter(Exists(has_records))
        level = request.GET.get("court__level__exact")
        if level:
            courts = courts.filter(level=level)
        return [
            (court.pk, court.citation_string)
            for court in courts.only("pk", "citation_string").order_by("citation_string")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(court_id=self.value())
        return queryset


def _set_publication_state(modeladmin, request, queryset, state: str) -> None:
    """Publish or unpublish records one save at a time, so each change gets a history row."""
    changed = unchanged = 0
    with transaction.atomic():
        for obj in queryset:
            if obj.publication_state == state:
                unchanged += 1
                continue
            obj.publication_state = state
            obj._history_user = request.user
            obj.save(update_fields=["publication_state", "updated_at"])
            changed += 1
    opts = modeladmin.model._meta
    noun = opts.verbose_name if changed == 1 else opts.verbose_name_plural
    verb = "published" if state == PublicationState.PUBLISHED else "unpublished"
    message = f"{changed} {noun} {verb}."
    if unchanged:
        message += f" {unchanged} already {verb}, left as they were."
    modeladmin.message_user(request, message, messages.SUCCESS)


@admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
def publish_selected(modeladmin, request, queryset):
    _set_publication_state(modeladmin, request, queryset, PublicationState.PUBLISHED)


@admin.action(description="Unpublish selected %(verbose_name_plural)s", permissions=["change"])
def unpublish_selected(modeladmin, request, queryset):
    _set_publication_state(modeladmin, request, queryset, PublicationState.DRAFT)


def _late_filing_error(decided_on, lawsuits) -> ValidationError | None:
    """The error for a ruling date before the filing of any of `lawsuits`, or None."""
    late = sorted((lawsuit for lawsuit in lawsuits if lawsuit.filed_on > decided_on), key=str)
    if not late:
        return None
    cases = "; ".join(f"{lawsuit} was filed on {lawsuit.filed_on:%Y-%m-%d}" for lawsuit in late)
    return ValidationError(
        "A ruling cannot be dated before the case it was issued in was filed: %(cases)s.",
        code=DATE_RULE_CODE,
        params={"cases": cases},
    )


def _ruling_queryset():
    """Rulings with their court and cases, which their names show (no query per ruling)."""
    captions = Lawsuit.objects.only("pk", "caption", "filed_on", "slug")
    return Ruling.objects.select_related("court").prefetch_related(
        Prefetch("lawsuits", queryset=captions.order_by("filed_on", "slug"))
    )


def ruling_label(ruling: Ruling) -> str:
    """A ruling as the pickers name it: its case(s) first, then kind, court and date."""
    captions = "; ".join(lawsuit.caption for lawsuit in ruling.lawsuits.all())
    return f"{captions}: {ruling}" if captions else str(ruling)


class RulingPicker(AutocompleteSelect):
    """The autocomplete for a ruling, naming each ruling with its case (RulingAutocompleteView).

    It is as wide as the form allows, so the chosen ruling's name is read whole.
    """

    def get_url(self):
        return reverse(f"{self.admin_site.name}:cases_ruling_autocomplete")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-width"] = "min(100%, 56em)"
        return attrs


class RulingAutocompleteView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": ruling_label(obj)}


def ruling_picker_field(model_admin, db_field, request, kwargs):
    """The form field of a foreign key to Ruling, searched and named with the rulings' cases."""
    kwargs["queryset"] = _ruling_queryset()
    if db_field.name in model_admin.get_autocomplete_fields(request):
        kwargs["widget"] = RulingPicker(db_field, model_admin.admin_site)
    field = BaseModelAdmin.formfield_for_foreignkey(model_admin, db_field, request, **kwargs)
    field.label_from_instance = ruling_label
    return field


def _with_publication_state(spec: exports.ExportSpec | None) -> exports.ExportSpec | None:
    """An export spec for the admin: drafts are included there, so each row says whether it is
    a draft; and a column computed only for published records is left blank on a draft."""
    if spec is None:
        return None
    columns = [
        *spec.columns,
        exports.Column(
            "publication_state",
            "publication_state",
            "text",
            "draft (editors only) or published; admin exports only.",
        ),
    ]
    derive = spec.derive
    if derive is not None:
        public_derive = derive

        def derive(queryset, *args, **kwargs):
            lookup = public_derive(queryset, *args, **kwargs)

            def values(key):
                try:
                    return lookup(key)
                except KeyError:  # a draft: it has no public status
                    return {}

            return values

    return dataclasses.replace(spec, columns=columns, derive=derive)


class AutocompleteMultiple(AutocompleteSelectMultiple):
    """A many-to-many autocomplete without select2's "clear all" cross, which select2 puts
    inside its list of chosen items (a list may hold only items); each item keeps its own ×."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-allow-clear"] = "false"
        return attrs


class AccessibleWidgetsMixin:
    """For admins and inlines: many-to-many autocompletes with valid list markup, named search
    boxes (static/admin-extra/autocomplete-labels.js) and underlined links inside text."""

    class Media:
        css = {"all": ["admin-extra/editing.css"]}
        js = ["admin-extra/autocomplete-labels.js"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HistoryAdmin(AccessibleWidgetsMixin, SimpleHistoryAdmin):
    """The base of every admin here: history and revert, and links read as https.

    Admins with an `export_spec` also offer CSV exports through the public export code: an
    action for the selected rows, and an "Export CSV" link (templates/admin/cases/
    change_list.html) for everything the changelist's current filters and search select.
    """

    # A pasted 'example.org/page' becomes https://, not http:// (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    form = EditForm
    export_spec: exports.ExportSpec | None = None

    # Each change an editor makes, with its inlines, rebuilds the stored statuses it touches
    # once, at its end, inside its transaction (cases/status/triggers.py).
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)), status_triggers.deferred():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)), status_triggers.deferred():
            return super().delete_view(request, object_id, extra_context)

    def response_action(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)), status_triggers.deferred():
            return super().response_action(request, queryset)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if VERSION_FIELD in flatten_fieldsets(fieldsets):
            return fieldsets
        # The hidden version field goes with the first fieldset.
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        record = getattr(request, "_reverting_to", None)
        if record is None:
            return form
        links = historical_m2m_initial(record, form.base_fields)

        class RevertForm(form):
            """Shows the old version's links as well as its fields, so saving restores both."""

            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**links, **(kwargs.get("initial") or {})}
                super().__init__(*args, **kwargs)

        return RevertForm

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reading an old version needs the view permission; restoring it, the change one.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        # simple_history builds the revert form through get_form(); the history row being
        # restored travels on the request, since one admin instance serves every request.
        history = self.model.history.model
        request._reverting_to = history.objects.filter(
            **{self.opts.pk.attname: object_id, "history_id": version_id}
        ).first()
        with transaction.atomic(using=router.db_for_write(self.model)), status_triggers.deferred():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def get_urls(self):
        urls = super().get_urls()
        if self.export_spec is None:
            return urls
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        view = self.admin_site.admin_view(self.export_view)
        return [path("export.csv", view, name=name), *urls]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.export_spec is not None and self.has_view_permission(request):
            action = type(self).export_selected
            actions["export_selected"] = (action, "export_selected", action.short_description)
        return actions

    def _csv(self, request: HttpRequest, queryset):
        # Re-select by key so the export query carries none of the changelist's annotations.
        rows = self.model._default_manager.filter(pk__in=queryset.values("pk")).order_by("pk")
        site_root = request.build_absolute_uri("/").rstrip("/")
        spec = self.export_spec
        if any(field.name == "publication_state" for field in self.opts.fields):
            spec = _with_publication_state(spec)
        return exports.export_response(spec, rows, "csv", site_root=site_root)

    @admin.display(description="Export selected %(verbose_name_plural)s as CSV")
    def export_selected(self, request, queryset):
        return self._csv(request, queryset)

    def export_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Invalid admin filter.\n", content_type="text/plain")
        return self._csv(request, changelist.get_queryset(request))


# --- Reference records --------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["title", "publisher", "kind", "published_on", "link"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "author", "slug", "url"]
    date_hierarchy = "published_on"
    # Slugs read like 'aclu-2017-11-27': the publisher and the date.
    prepopulated_fields = {"slug": ["publisher", "published_on"]}
    show_full_result_count = False

    @admin.display(description="Link")
    def link(self, obj: Source) -> str:
        if not obj.url:
            return "-"
        return format_html('<a href="{}" rel="noopener noreferrer">open</a>', obj.url)


@admin.register(Ground)
class GroundAdmin(HistoryAdmin):
    list_display = ["name", "slug", "ruling_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_ruling_count=Count("rulings"))

    @admin.display(description="Rulings", ordering="_ruling_count")
    def ruling_count(self, obj: Ground) -> int:
        return obj._ruling_count


def _chain(records, name) -> str:
    return " → ".join(name(record) for record in records)


class CourtAdminForm(EditForm):
    def clean(self):
        cleaned = super().clean()
        appeals_to = cleaned.get("appeals_to")
        loop = appeal_route_loop(self.instance, appeals_to)
        if loop:
            here = cleaned.get("citation_string") or self.instance.citation_string
            route = _chain(loop, lambda court: court.citation_string)
            self.add_error(
                "appeals_to",
                ValidationError(
                    "Appeals would go round in a circle: %(here)s → %(route)s. Appeals go up, "
                    "to a higher court; the Supreme Court's go nowhere (leave this blank).",
                    code="court_appeal_route_loop",
                    params={"here": here, "route": route},
                ),
            )
        return cleaned


# The district courts' names, as courts-db writes them ("District Court, S.D. New York"),
# against the way people say them ("Southern District of New York").
_DISTRICT_PREFIXES = {
    "N.D.": "Northern District of",
    "S.D.": "Southern District of",
    "E.D.": "Eastern District of",
    "W.D.": "Western District of",
    "M.D.": "Middle District of",
    "C.D.": "Central District of",
    "D.": "District of",
}
_ORDINALS = {
    "First": "1st",
    "Second": "2nd",
    "Third": "3rd",
    "Fourth": "4th",
    "Fifth": "5th",
    "Sixth": "6th",
    "Seventh": "7th",
    "Eighth": "8th",
    "Ninth": "9th",
    "Tenth": "10th",
    "Eleventh": "11th",
}


def court_spoken_names(name: str) -> str:
    """Other ways of writing a court's name, for search: 'District Court, S.D. New York' also
    reads 'United States District Court for the Southern District of New York', and 'Court of
    Appeals for the Ninth Circuit' also '9th Circuit'."""
    names = [name, "United States " + name]
    match = re.fullmatch(
        r"District Court, (N\.D\.|S\.D\.|E\.D\.|W\.D\.|M\.D\.|C\.D\.|D\.) (.+)", name
    )
    if match:
        names.append(
            f"United States District Court for the {_DISTRICT_PREFIXES[match[1]]} {match[2]}"
        )
    for word, number in _ORDINALS.items():
        if f" {word} Circuit" in name:
            names.append(name.replace(word, number))
    return " | ".join(names)


@admin.register(Court)
class CourtAdmin(HistoryAdmin):
    export_spec = exports.COURT_EXPORT
    """Courts are reference data loaded from courts-db; editors may add or correct one."""

    form = CourtAdminForm
    list_display = ["name", "id", "citation_string", "level", "appeals_to", "location"]
    list_filter = ["level"]
    search_fields = ["id", "name", "citation_string", "location"]
    list_select_related = ["appeals_to"]
    autocomplete_fields = ["appeals_to"]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        words = search_term.casefold().split()
        if not words:
            return found, may_have_duplicates
        # Also match courts by their names spelled out: ~110 courts, read in one query.
        spoken = [
            pk
            for pk, name in Court.objects.values_list("pk", "name")
            if all(word in court_spoken_names(name).casefold() for word in words)
        ]
        if spoken:
            found = found | queryset.filter(pk__in=spoken)
        return found, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        # The identifier is the primary key: editing it would save a copy, not rename the court.
        if obj is not None:
            return ["id", *super().get_readonly_fields(request, obj)]
        return super().get_readonly_fields(request, obj)


@admin.register(FundingProgram)
class FundingProgramAdmin(HistoryAdmin):
    export_spec = exports.PROGRAM_EXPORT
    list_display = ["short_name", "name", "administering_office", "statute"]
    list_filter = ["administering_office"]
    search_fields = ["short_name", "name", "slug", "administering_office", "statute"]
    prepopulated_fields = {"slug": ["short_name"]}
    autocomplete_fields = ["sources"]


@admin.register(Jurisdiction)
class JurisdictionAdmin(HistoryAdmin):
    export_spec = exports.JURISDICTION_EXPORT
    list_display = ["name", "kind", "state", "slug"]
    list_filter = ["kind", "state"]
    search_fields = ["name", "slug", "state"]
    prepopulated_fields = {"slug": ["name", "state"]}
    autocomplete_fields = ["sources"]


# --- Policies -----------------------------------------------------------------------------------


class PolicyPartInline(admin.TabularInline):
    """Parts a court can rule on separately (the notice, access and § 1373 conditions)."""

    model = PolicyPart
    extra = 0
    fields = ["position", "slug", "name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PolicyPart)
class PolicyPartAdmin(HistoryAdmin):
    list_display = ["name", "policy", "position"]
    list_select_related = ["policy"]
    search_fields = ["name", "slug", "policy__short_title", "policy__title"]

    def get_model_perms(self, request):
        return {}  # edited on its policy's page; registered for the effects' autocomplete


@admin.register(Policy)
class PolicyAdmin(HistoryAdmin):
    export_spec = exports.POLICY_EXPORT
    list_display = ["short_title", "kind", "issued_on", "end_state", "publication_state"]
    list_filter = ["kind", "programs", "publication_state"]
    search_fields = ["title", "short_title", "citation", "slug"]
    date_hierarchy = "issued_on"
    prepopulated_fields = {"slug": ["short_title"]}
    autocomplete_fields = ["programs", "parent", "targets", "sources", "end_source"]
    actions = [publish_selected, unpublish_selected]
    inlines = [PolicyPartInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "short_title",
                    "slug",
                    "kind",
                    "issued_by",
                    ("issued_on", "issued_on_precision"),
                    "citation",
                    "parent",
                ]
            },
        ),
        ("What it affects", {"fields": ["programs", "targets"]}),
        ("Summary and sources", {"fields": ["summary", "sources"]}),
        (
            "End",
            {
                "fields": [("end_kind", "ended_on"), "ended_by", "end_source"],
                "description": "Leave blank while the policy stands.",
            },
        ),
        ("Publication", {"fields": ["publication_state"]}),
        (
            "Problems the status rules found",
            {
                "fields": ["status_problems"],
                "description": "Records the derived status could not read as they are. The "
                "status is still shown; correcting the records named here makes it right.",
            },
        ),
    ]
    readonly_fields = ["status_problems"]

    @admin.display(description="Problems")
    def status_problems(self, obj: Policy | None) -> str:
        problems = list(obj.status_problems.all()) if obj and obj.pk else []
        if not problems:
            return "None."
        return format_html_join(
            "\n",
            "<p>{}</p>",
            (
                (
                    f"From {p.since:%Y-%m-%d}: {p.message}"
                    if p.since > datetime.date.min
                    else p.message,
                )
                for p in problems
            ),
        )

    @admin.display(description="End", ordering="ended_on")
    def end_state(self, obj: Policy) -> str:
        if not obj.end_kind:
            return "In force"
        return f"{obj.get_end_kind_display()} {obj.ended_on:%Y-%m-%d}"


# --- Lawsuits -----------------------------------------------------------------------------------


class LawsuitAdminForm(EditForm):
    # No Meta: the admin builds the form's Meta from its fieldsets (modelform_factory).

    def clean(self):
        cleaned = super().clean()
        filed_on = cleaned.get("filed_on")
        if filed_on and self.instance.pk:
            # Rulings already linked in the database. To move the filing date past one of them,
            # first correct that ruling's date or unlink it (and save), then change the date.
            earlier = Ruling.objects.filter(lawsuits=self.instance, decided_on__lt=filed_on)
            earlier = earlier.select_related("court").order_by("decided_on", "pk")
            if earlier:
                rulings = "; ".join(str(ruling) for ruling in earlier)
                self.add_error(
                    "filed_on",
                    ValidationError(
                        "This case has rulings dated before this filing date: %(rulings)s. "
                        "Correct the ruling's date, or unlink it and save, first.",
                        code=DATE_RULE_CODE,
                        params={"rulings": rulings},
                    ),
                )
        return cleaned


def appeal_url(ruling: Ruling) -> str | None:
    """The address of a new ruling on appeal of `ruling`: in the court its court's appeals go
    to, reviewing it, in the same case(s). None where there is no court above."""
    court = ruling.court.appeals_to
    if court is None:
        return None
    kind = (
        RulingKind.SUPREME_COURT
        if court.level == CourtLevel.SUPREME
        else RulingKind.APPELLATE_OPINION
    )
    lawsuits = ",".join(str(pk) for pk in ruling.lawsuits.values_list("pk", flat=True))
    query = urlencode({"reviews": ruling.pk, "court": court.pk, "kind": kind, "lawsuits": lawsuits})
    return f"{reverse('admin:cases_ruling_add')}?{query}"


class RulingLinkFormSet(forms.BaseInlineFormSet):
    """Checks every ruling linked or re-linked here against the case's (new) filing date."""

    def clean(self):
        super().clean()
        filed_on = self.instance.filed_on  # the submitted date once the case form is valid
        if filed_on is None:
            return
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            ruling = form.cleaned_data.get("ruling")
            if ruling is None or "ruling" not in form.changed_data:
                continue  # unchanged links are checked by the case form against its date
            if ruling.decided_on < filed_on:
                form.add_error(
                    "ruling",
                    ValidationError(
                        "This ruling (%(date)s) is dated before this case was filed "
                        "(%(filed)s); a ruling cannot predate the case it was issued in.",
                        code=DATE_RULE_CODE,
                        params={"date": f"{ruling.decided_on:%Y-%m-%d}", "filed": filed_on},
                    ),
                )


class RulingLinkInline(AccessibleWidgetsMixin, admin.TabularInline):
    """The rulings issued in this case, linked and unlinked here; each opens its own page.

    Rows are links (Ruling.lawsuits), not the rulings themselves: deleting a row unlinks the
    ruling from this case and keeps it. A ruling has its own inline (effects on policies), so
    it is edited on its own page, reached by the row's "Edit" link.
    """

    model = RulingLawsuit
    formset = RulingLinkFormSet
    extra = 0
    verbose_name = "ruling in this case"
    verbose_name_plural = "rulings in this case"
    fields = ["ruling", "decided_on", "court", "kind", "outcome", "edit_link"]
    readonly_fields = ["decided_on", "court", "kind", "outcome", "edit_link"]
    autocomplete_fields = ["ruling"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("ruling__court__appeals_to")
            .order_by("ruling__decided_on", "ruling_id")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ruling":
            kwargs["help_text"] = (
                "Search by caption, docket number, court, date, citation or judge. Deleting a "
                "row unlinks the ruling from this case; the ruling itself is kept."
            )
            return ruling_picker_field(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Date")
    def decided_on(self, link) -> str:
        return f"{link.ruling.decided_on:%Y-%m-%d}" if link.ruling_id else "-"

    @admin.display(description="Court")
    def court(self, link) -> str:
        return link.ruling.court.citation_string if link.ruling_id else "-"

    @admin.display(description="Kind")
    def kind(self, link) -> str:
        return link.ruling.get_kind_display() if link.ruling_id else "-"

    @admin.display(description="Outcome")
    def outcome(self, link) -> str:
        return link.ruling.get_outcome_display() if link.ruling_id else "-"

    @admin.display(description="Ruling page")
    def edit_link(self, link) -> str:
        if not link.ruling_id:
            return "-"
        url = reverse("admin:cases_ruling_change", args=[link.ruling_id])
        appeal = appeal_url(link.ruling)
        if appeal is None:
            return format_html('<a href="{}">Edit ruling</a>', url)
        return format_html(
            '<a href="{}">Edit ruling</a> · <a href="{}">Add a ruling on appeal</a>', url, appeal
        )


@admin.register(Lawsuit)
class LawsuitAdmin(HistoryAdmin):
    export_spec = exports.LAWSUIT_EXPORT
    form = LawsuitAdminForm
    list_display = [
        "caption",
        "docket_number",
        "court",
        "filed_on",
        "status",
        "publication_state",
        "ruling_count",
    ]
    list_filter = ["status", "publication_state", CourtWithRecordsFilter]
    search_fields = ["caption", "full_caption", "docket_number"]
    list_select_related = ["court"]
    date_hierarchy = "filed_on"
    autocomplete_fields = ["court", "plaintiffs", "policies", "related", "sources"]
    prepopulated_fields = {"slug": ["caption"]}
    readonly_fields = ["new_ruling_link"]
    inlines = [RulingLinkInline]
    actions = [publish_selected, unpublish_selected]
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {"fields": ["caption", "full_caption", "slug", "court", "docket_number", "judge"]},
        ),
        (
            "Dates and status",
            {"fields": [("filed_on", "filed_on_precision"), "closed_on", "status"]},
        ),
        ("Parties and policies", {"fields": ["plaintiffs", "defendants", "policies", "related"]}),
        ("Summary and sources", {"fields": ["summary", "sources"]}),
        ("Publication", {"fields": ["publication_state"]}),
        (
            "Rulings",
            {
                "fields": ["new_ruling_link"],
                "description": "Link existing rulings in the table below, or enter a new one.",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_ruling_count=Count("rulings"))

    def get_deleted_objects(self, objs, request):
        """A case with rulings is not deleted (its rulings would stay, published, with no case):
        the delete page and the delete action list those rulings as what stands in the way."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        rulings = _ruling_queryset().filter(lawsuits__in=[obj.pk for obj in objs]).distinct()
        protected = list(protected) + [
            format_html(
                'Ruling: <a href="{}">{}</a> (delete it, or unlink it from the case, first)',
                reverse("admin:cases_ruling_change", args=[ruling.pk]),
                ruling_label(ruling),
            )
            for ruling in rulings.order_by("decided_on", "pk")
        ]
        return deleted, counts, perms_needed, protected

    @admin.display(description="Rulings", ordering="_ruling_count")
    def ruling_count(self, obj: Lawsuit) -> int:
        return obj._ruling_count

    @admin.display(description="New ruling")
    def new_ruling_link(self, obj: Lawsuit) -> str:
        if obj is None or not obj.pk:
            return "Save the case first, then add its rulings."
        query = urlencode({"lawsuits": obj.pk, "court": obj.court_id})
        url = f"{reverse('admin:cases_ruling_add')}?{query}"
        return format_html('<a href="{}">Add a new ruling in this case</a>', url)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RulingLawsuit:
            return super().save_formset(request, form, formset, change)
        # Link and unlink through Ruling.lawsuits, not by writing the link rows directly, so
        # each ruling's history records the change (writing rows directly sends no signal).
        lawsuit = form.instance
        formset.save(commit=False)  # fills new/changed/deleted_objects; writes nothing
        changed = [link for link, _ in formset.changed_objects]
        old_ids = [link.pk for link in [*formset.deleted_objects, *changed]]
        old_rulings = RulingLawsuit.objects.filter(pk__in=old_ids).values("ruling")
        # Each ruling's version moves first, so its history row for the link carries the new
        # version and a ruling form loaded before this is refused (cases/editing.py).
        for ruling in Ruling.objects.filter(pk__in=old_rulings):
            ruling.bump_version()
            ruling.lawsuits.remove(lawsuit)
        for link in [*changed, *formset.new_objects]:
            link.ruling.bump_version()
            link.ruling.lawsuits.add(lawsuit)


# --- Rulings ------------------------------------------------------------------------------------


EFFECT_HELP = (
    "What this ruling does to the policy from its date. On appeal: reversing or vacating an "
    "injunction is “Lifts an earlier block”; affirming one is “Keeps an earlier block in "
    "force”; affirming it in part, or cutting its reach, is “Narrows an earlier block”; "
    "reversing a refusal to block is “Blocks the policy”. An order staying an injunction "
    "pending appeal is “Stays a block”: name the stayed ruling and who stays protected."
)


class RulingAdminForm(EditForm):
    # The admin builds the form's fields from its fieldsets (modelform_factory); this Meta
    # only adds help for the choices editors asked about.
    class Meta:
        help_texts = {
            "kind": (
                "What the court issued. A TRO or preliminary injunction holds things while the "
                "case goes on; “Summary judgment / permanent injunction” decides it in the "
                "trial court; an appellate, en banc or Supreme Court ruling decides an appeal "
                "(say which ruling, and what it did to it, under Appeal)."
            ),
            "outcome": (
                "Whom the ruling favours on the policy: the challengers when it blocks the "
                "policy or keeps a block; the government when it upholds the policy, lifts a "
                "block or dismisses the case; mixed when each side wins part; procedural when "
                "it decides nothing on the merits (transfer, schedule, standing to proceed)."
            ),
            "disposition": (
                "What this ruling did to the ruling it reviews (choose that ruling above). "
                "Record its effect on each policy below too."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        loop = review_chain_loop(self.instance, cleaned.get("reviews"))
        if loop:
            self.add_error(
                "reviews",
                ValidationError(
                    "A review chain cannot loop: %(chain)s already reviews this ruling. "
                    "Choose the lower ruling this one reviews.",
                    code="ruling_review_loop",
                    params={"chain": _chain(reversed(loop), ruling_label)},
                ),
            )
        decided_on = cleaned.get("decided_on")
        if "lawsuits" in self.fields:
            lawsuits = cleaned.get("lawsuits") or []
        else:
            lawsuits = self.instance.lawsuits.all() if self.instance.pk else []
        if decided_on:
            error = _late_filing_error(decided_on, lawsuits)
            if error:
                self.add_error("decided_on", error)
        return cleaned


class RulingEffectInline(AccessibleWidgetsMixin, admin.StackedInline):
    """What the ruling did to each policy: stacked, one effect a block, so the fields that say
    which parts, whom it protects and what it stays stay readable within the form's width."""

    model = RulingEffect
    fk_name = "ruling"
    fieldsets = [
        (None, {"fields": ["policy", "parts", "effect", "holding"]}),
        ("Who is protected", {"fields": ["reach", "states", "protected"]}),
        ("Stays", {"fields": ["stays_ruling", "stay_ends_on"]}),
        (None, {"fields": ["detail"]}),
    ]
    autocomplete_fields = ["policy", "parts", "protected", "stays_ruling"]
    verbose_name_plural = "effects on policies"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "effect":
            kwargs["help_text"] = EFFECT_HELP
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # one blank row on a new ruling


@admin.register(Ruling)
class RulingAdmin(HistoryAdmin):
    export_spec = exports.RULING_EXPORT
    form = RulingAdminForm
    list_display = [
        "decided_on",
        "kind",
        "court",
        "lawsuit_names",
        "outcome",
        "scope",
        "publication_state",
    ]
    list_display_links = ["decided_on", "kind"]
    list_filter = [
        ("court__level", CourtLevelFilter),
        CourtWithRecordsFilter,
        "kind",
        "outcome",
        "scope",
        "publication_state",
    ]
    date_hierarchy = "decided_on"
    # Also what the ruling pickers search: a court's abbreviation ("N.D. Ill.", "ilnd") or a
    # date ("2017-09-15", "2017-09").
    search_fields = [
        "lawsuits__caption",
        "lawsuits__docket_number",
        "docket_number",
        "citation",
        "judges",
        "summary",
        "court__citation_string",
        "court__id",
        "decided_on",
    ]
    autocomplete_fields = ["court", "lawsuits", "reviews", "grounds", "sources"]
    readonly_fields = ["appeal_link"]
    inlines = [RulingEffectInline]
    actions = [publish_selected, unpublish_selected]
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "lawsuits",
                    "court",
                    "docket_number",
                    "decided_on",
                    "kind",
                    "outcome",
                    "scope",
                    "judges",
                    "citation",
                ]
            },
        ),
        (
            "Appeal",
            {
                "fields": ["reviews", "disposition", "appeal_link"],
                "description": (
                    "For a ruling on appeal or rehearing: the ruling it reviews and what it did "
                    "to it. Then record below what it does to each policy (a reversal of an "
                    "injunction lifts the block; an affirmance keeps it)."
                ),
            },
        ),
        ("Reasoning and sources", {"fields": ["grounds", "summary", "sources"]}),
        ("Publication", {"fields": ["publication_state"]}),
    ]

    def get_queryset(self, request):
        captions = Lawsuit.objects.only("pk", "caption", "filed_on", "slug")
        return (
            super()
            .get_queryset(request)
            .select_related("court")
            .prefetch_related(Prefetch("lawsuits", queryset=captions))
        )

    def get_urls(self):
        view = self.admin_site.admin_view(
            RulingAutocompleteView.as_view(admin_site=self.admin_site)
        )
        return [path("autocomplete/", view, name="cases_ruling_autocomplete"), *super().get_urls()]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reviews":
            kwargs["help_text"] = (
                "Search by case, court (“N.D. Ill.”), date (“2017-09-15”), docket number or "
                "citation."
            )
            return ruling_picker_field(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Ruling on appeal")
    def appeal_link(self, obj: Ruling | None) -> str:
        if obj is None or not obj.pk:
            return "Save the ruling first; then a ruling on appeal of it can be added from here."
        url = appeal_url(obj)
        if url is None:
            return "No court is above this one."
        court = obj.court.appeals_to
        return format_html(
            '<a href="{}">Add a ruling on appeal of this one</a> (in the {}, reviewing it)',
            url,
            court.name,
        )

    @admin.display(description="Lawsuits")
    def lawsuit_names(self, obj: Ruling) -> str:
        return format_html_join(
            "; ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:cases_lawsuit_change", args=[lawsuit.pk]), lawsuit.caption)
                for lawsuit in obj.lawsuits.all()
            ),
        )

    def save_model(self, request, obj, form, change):
        if change and "lawsuits" in form.cleaned_data:
            # The database checks a new date against the links that exist when the ruling row
            # is updated, so unlink the cases the editor removed before saving the date. The
            # unlinking goes through the relation (on the stored ruling), so history records it.
            chosen = form.cleaned_data["lawsuits"]
            stale = Lawsuit.objects.filter(rulings=obj.pk).exclude(pk__in=[s.pk for s in chosen])
            if stale:
                Ruling.objects.get(pk=obj.pk).lawsuits.remove(*stale)
        super().save_model(request, obj, form, change)


@admin.register(RulingEffect)
class RulingEffectAdmin(HistoryAdmin):
    list_display = ["ruling", "policy", "effect", "detail"]
    list_filter = ["effect", "policy__kind"]
    search_fields = [
        "policy__short_title",
        "policy__title",
        "ruling__lawsuits__caption",
        "ruling__docket_number",
        "detail",
    ]
    list_select_related = ["ruling__court", "policy"]
    autocomplete_fields = ["ruling", "policy", "protected"]
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ruling":
            return ruling_picker_field(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "effect":
            kwargs["help_text"] = EFFECT_HELP
        return super().formfield_for_dbfield(db_field, request, **kwargs)
