"""Two editors on one record: the admin form's version check, and reverts that restore links.

Every editable record carries a `version` (cases.models.EditableRecord) that each save raises by
one. The admin form sends the version it was loaded at in a hidden field; saving a form whose
version is no longer the stored one is refused with a form error that names what the other
editor changed (read from the record's history), and the editor's own input stays on the form.
The refused form then carries the current version, so saving it again, once checked, goes
through.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils.text import capfirst

VERSION_FIELD = "loaded_version"
# Fields every save changes, which say nothing about what an editor did.
_BOOKKEEPING = {"version", "updated_at", "created_at"}
_VALUE_LENGTH = 80


def stored_version(instance, *, lock: bool = False) -> int | None:
    """The version of `instance`'s row in the database (None if there is none)."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    rows = model._base_manager.using(using).filter(pk=instance.pk)
    if lock and connections[using].in_atomic_block:
        rows = rows.select_for_update()  # held until the save's transaction ends
    return rows.values_list("version", flat=True).first()


def _shown(value) -> str:
    text = " ".join(str(value).split()) if value not in (None, "") else "(blank)"
    return text if len(text) <= _VALUE_LENGTH else text[: _VALUE_LENGTH - 1] + "…"


def changes_since(instance, version: int) -> list[str]:
    """What was changed since the record stood at `version`, one line per field, from its
    history: "Summary: now “…”"."""
    history = getattr(instance, "history", None)
    if history is None:
        return []
    seen = history.filter(version=version).first()
    latest = history.first()
    if seen is None or latest is None or seen.pk == latest.pk:
        return []
    delta = latest.diff_against(seen, foreign_keys_are_objs=True)
    lines = []
    opts = type(instance)._meta
    for change in delta.changes:
        if change.field in _BOOKKEEPING:
            continue
        field = opts.get_field(change.field)
        label = capfirst(field.verbose_name)
        if field.many_to_many:
            lines.append(f"{label}: links changed")
        else:
            new = change.new
            if field.choices:
                new = dict(field.flatchoices).get(new, new)
            lines.append(f"{label}: now “{_shown(new)}”")
    return lines


class EditForm(forms.ModelForm):
    """The admin form of an EditableRecord: refuses a save from a stale form."""

    # Not required: a request made by hand without it is saved unchecked (see clean).
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self._checks_version():
            # The stored version, not the instance's: a revert form shows an old version's
            # values but is a change to the record as it stands now.
            self.initial.setdefault(VERSION_FIELD, stored_version(self.instance))

    def _checks_version(self) -> bool:
        """Whether this form edits a stored record that has a version (an EditableRecord)."""
        instance = self.instance
        if instance.pk is None or instance._state.adding:
            return False
        return any(field.name == "version" for field in instance._meta.concrete_fields)

    def clean(self):
        cleaned = super().clean()
        if not self._checks_version():
            return cleaned
        loaded = cleaned.get(VERSION_FIELD)
        if loaded is None:
            # Only a hand-made request (a script) leaves the hidden field out; the admin's own
            # form always sends it. Such a save is not checked.
            return cleaned
        current = stored_version(self.instance, lock=True)
        if current is None or loaded == current:
            return cleaned
        message = (
            "Another editor saved this record while you were editing it, so your changes "
            "were not saved. Your input is kept below: compare it with their changes, "
            "correct it where needed and save again."
        )
        lines = changes_since(self.instance, loaded)
        if lines:
            message += " They changed: " + "; ".join(lines) + "."
        else:
            message += " They changed rows or links of this record that the form lists below."
        self.add_error(None, ValidationError(message, code="stale_version"))
        # The refused form now answers for the current version: a second save, made knowingly,
        # goes through.
        data = self.data.copy()
        data[self.add_prefix(VERSION_FIELD)] = str(current)
        self.data = data
        return cleaned


def historical_m2m_initial(record, field_names) -> dict:
    """The many-to-many links `record` (a history row) had, as form initial values, for those
    of `field_names` whose links the history keeps."""
    opts = record.instance_type._meta
    initial = {}
    for name in field_names:
        rows = getattr(record, name, None)
        if rows is None or not hasattr(rows, "values_list"):
            continue
        target = opts.get_field(name).m2m_reverse_field_name()
        initial[name] = list(rows.values_list(f"{target}_id", flat=True))
    return initial
