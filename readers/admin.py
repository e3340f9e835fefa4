"""The corrections queue editors work through, and the subscriptions (for operators).

A suggestion is read-only to editors apart from its state and their note: marking it accepted
or rejected records who did and when. It never changes the record it is about; the editor edits
the record itself, through its own admin page (linked from the suggestion).

The admin index shows how many suggestions are new (templates/readers/admin_index.html).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from readers.models import Correction, CorrectionState, Subscription

# The index lists the models as usual, after the count of new suggestions.
admin.site.index_template = "readers/admin_index.html"


def handle(correction: Correction, state: str, editor) -> None:
    """Set the state and who handled it when: an editor for accepted or rejected, nobody
    when put back to new."""
    correction.state = state
    if state == CorrectionState.NEW:
        correction.handled_by, correction.handled_at = None, None
    else:
        correction.handled_by, correction.handled_at = editor, timezone.now()


def _mark(modeladmin, request: HttpRequest, queryset: QuerySet[Correction], state: str) -> None:
    changed = 0
    for correction in queryset.exclude(state=state):
        handle(correction, state, request.user)
        correction._change_reason = f"Marked {state}"
        correction.save()
        changed += 1
    modeladmin.message_user(request, f"{changed} suggestion(s) marked {state}.", messages.SUCCESS)


@admin.action(description="Mark selected suggestions accepted", permissions=["change"])
def mark_accepted(modeladmin, request, queryset):
    _mark(modeladmin, request, queryset, CorrectionState.ACCEPTED)


@admin.action(description="Mark selected suggestions rejected", permissions=["change"])
def mark_rejected(modeladmin, request, queryset):
    _mark(modeladmin, request, queryset, CorrectionState.REJECTED)


@admin.register(Correction)
class CorrectionAdmin(SimpleHistoryAdmin):
    list_display = [
        "submitted_at",
        "record_label",
        "short_text",
        "state",
        "handled_by",
        "handled_at",
    ]
    list_filter = ["state", ("content_type", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["handled_by", "content_type"]
    search_fields = ["record_label", "what_is_wrong", "source"]
    date_hierarchy = "submitted_at"
    actions = [mark_accepted, mark_rejected]
    fields = [
        "record_links",
        "what_is_wrong",
        "source",
        "email",
        "submitted_at",
        "state",
        "editor_note",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = [
        "record_links",
        "what_is_wrong",
        "source",
        "email",
        "submitted_at",
        "handled_by",
        "handled_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # suggestions come from readers, through the public form

    @admin.display(description="What is wrong")
    def short_text(self, obj: Correction) -> str:
        text = " ".join(obj.what_is_wrong.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="Record")
    def record_links(self, obj: Correction):
        public = format_html('<a href="{}">{}</a> (public page)', obj.record_path, obj.record_label)
        model = obj.content_type.model_class()
        if model is None:
            return public
        try:
            url = reverse(
                f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change",
                args=[obj.object_id],
            )
        except NoReverseMatch:
            return public
        if not model._default_manager.filter(pk=obj.object_id).exists():
            return format_html("{} · the record has since been deleted", public)
        return format_html('{} · <a href="{}">edit the record</a>', public, url)

    def save_model(self, request, obj: Correction, form, change: bool) -> None:
        if "state" in form.changed_data:
            handle(obj, obj.state, request.user)
        super().save_model(request, obj, form, change)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Private data, for operators: seen and deleted, never edited by hand."""

    list_display = ["subscriber", "query", "frequency", "state", "last_sent_at", "filter_error"]
    list_filter = ["state", "frequency"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email", "query"]
    readonly_fields = [
        "subscriber",
        "query",
        "frequency",
        "state",
        "created_at",
        "confirmed_at",
        "checked_at",
        "last_sent_at",
        "filter_error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
