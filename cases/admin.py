"""The editors' tool: one admin per record type, each with history and revert.

Every admin derives from SimpleHistoryAdmin, so each change is kept with who made it and can be
reverted from the record's history page. Changelists load a fixed number of queries whatever
their length (select_related / prefetch_related / annotations), related records are chosen by
autocomplete, and rules the database enforces across tables are checked in the forms first, so an
editor sees a form error rather than a server error.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponseBadRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from cases import exports
from cases.models import (
    Court,
    FundingProgram,
    Ground,
    Jurisdiction,
    Lawsuit,
    Policy,
    PolicyPart,
    PublicationState,
    Ruling,
    RulingEffect,
    Source,
)

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
    """Rulings with their court, which their names show (no query per ruling)."""
    return Ruling.objects.select_related("court")


class HistoryAdmin(SimpleHistoryAdmin):
    """The base of every admin here: history and revert, and links read as https.

    Admins with an `export_spec` also offer CSV exports through the public export code: an
    action for the selected rows, and an "Export CSV" link (templates/admin/cases/
    change_list.html) for everything the changelist's current filters and search select.
    """

    # A pasted 'example.org/page' becomes https://, not http:// (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    export_spec: exports.ExportSpec | None = None

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
        return exports.export_response(self.export_spec, rows, "csv", site_root=site_root)

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


@admin.register(Court)
class CourtAdmin(HistoryAdmin):
    export_spec = exports.COURT_EXPORT
    """Courts are reference data loaded from courts-db; editors may add or correct one."""

    list_display = ["name", "id", "citation_string", "level", "appeals_to", "location"]
    list_filter = ["level"]
    search_fields = ["id", "name", "citation_string", "location"]
    list_select_related = ["appeals_to"]
    autocomplete_fields = ["appeals_to"]

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
    ]

    @admin.display(description="End", ordering="ended_on")
    def end_state(self, obj: Policy) -> str:
        if not obj.end_kind:
            return "In force"
        return f"{obj.get_end_kind_display()} {obj.ended_on:%Y-%m-%d}"


# --- Lawsuits -----------------------------------------------------------------------------------


class LawsuitAdminForm(forms.ModelForm):
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


class RulingLinkInline(admin.TabularInline):
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
            .select_related("ruling__court")
            .order_by("ruling__decided_on", "ruling_id")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ruling":
            kwargs["queryset"] = _ruling_queryset()
            kwargs["help_text"] = (
                "Search by caption, docket number, citation or judge. Deleting a row unlinks "
                "the ruling from this case; the ruling itself is kept."
            )
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
        return format_html('<a href="{}">Edit ruling</a>', url)


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
        for ruling in Ruling.objects.filter(pk__in=old_rulings):
            ruling.lawsuits.remove(lawsuit)
        for link in [*changed, *formset.new_objects]:
            link.ruling.lawsuits.add(lawsuit)


# --- Rulings ------------------------------------------------------------------------------------


class RulingAdminForm(forms.ModelForm):
    # No Meta: the admin builds the form's Meta from its fieldsets (modelform_factory).

    def clean(self):
        cleaned = super().clean()
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


class RulingEffectInline(admin.StackedInline):
    """What the ruling did to each policy: stacked, one effect a block, so the fields that say
    which parts, whom it protects and what it stays stay readable on a laptop screen."""

    model = RulingEffect
    fk_name = "ruling"
    fieldsets = [
        (None, {"fields": ["policy", "parts", "effect", "holding"]}),
        ("Who is protected", {"fields": ["reach", "states", "protected"]}),
        ("Stays", {"fields": ["stays_ruling", "stay_ends_on"], "classes": ["collapse"]}),
        (None, {"fields": ["detail"]}),
    ]
    autocomplete_fields = ["policy", "parts", "protected", "stays_ruling"]

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
    search_fields = [
        "lawsuits__caption",
        "lawsuits__docket_number",
        "docket_number",
        "citation",
        "judges",
        "summary",
    ]
    autocomplete_fields = ["court", "lawsuits", "reviews", "grounds", "sources"]
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
        ("Appeal", {"fields": ["reviews", "disposition"]}),
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reviews":
            kwargs["queryset"] = _ruling_queryset()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
            kwargs["queryset"] = _ruling_queryset()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
