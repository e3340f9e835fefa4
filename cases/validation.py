"""Rules explained to editors: each named constraint as a sentence on the field it concerns, and
the walks that find a loop in a court's appeal route or a ruling's review chain.

The database enforces the same rules (named constraints in cases/models.py, and the triggers of
migration 0011 against loops); these let the admin refuse a bad edit with a form error first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import router

if TYPE_CHECKING:
    from cases.models import Court, Ruling

# How far a walk up a chain goes before giving up: real chains are a few steps long
# (district court -> circuit -> Supreme Court; trial ruling -> panel -> en banc -> Supreme Court).
MAX_CHAIN = 50

_CHOOSE = "Choose one of the values in the list."

# Constraint name -> (the field it concerns, or a function of the record naming it; sentence).
CONSTRAINT_ERRORS: dict[str, tuple[str | Callable[[object], str], str]] = {
    "source_kind_valid": ("kind", _CHOOSE),
    "court_level_valid": ("level", _CHOOSE),
    "court_not_appeal_to_itself": (
        "appeals_to",
        "A court cannot hear appeals from itself: choose the court above it, or leave this "
        "blank for the Supreme Court.",
    ),
    "jurisdiction_kind_valid": ("kind", _CHOOSE),
    "jurisdiction_state_valid": ("state", "Choose the state or territory from the list."),
    "jurisdiction_unique_name": (
        "name",
        "A jurisdiction of this name is already recorded in this state: edit that one instead.",
    ),
    "policy_kind_valid": ("kind", _CHOOSE),
    "policy_precision_valid": ("issued_on_precision", _CHOOSE),
    "policy_publication_valid": ("publication_state", _CHOOSE),
    "policy_end_kind_valid": ("end_kind", _CHOOSE),
    "policy_end_complete": (
        lambda policy: "ended_on" if policy.end_kind else "end_kind",
        "Record how and when the policy ended together: fill in both the end kind and the end "
        "date, or leave both blank while the policy stands.",
    ),
    "policy_ended_not_before_issued": (
        "ended_on",
        "A policy cannot end before it was issued: the end date must be on or after the date "
        "it was issued.",
    ),
    "lawsuit_unique_docket_per_court": (
        "docket_number",
        "This court already has a case with this docket number: edit that case instead, or "
        "check the number.",
    ),
    "lawsuit_closed_not_before_filed": (
        "closed_on",
        "A case cannot close before it was filed: the closing date must be on or after the "
        "filing date.",
    ),
    "lawsuit_status_valid": ("status", _CHOOSE),
    "lawsuit_precision_valid": ("filed_on_precision", _CHOOSE),
    "lawsuit_publication_valid": ("publication_state", _CHOOSE),
    "ruling_kind_valid": ("kind", _CHOOSE),
    "ruling_outcome_valid": ("outcome", _CHOOSE),
    "ruling_scope_valid": ("scope", _CHOOSE),
    "ruling_publication_valid": ("publication_state", _CHOOSE),
    "ruling_disposition_valid": ("disposition", _CHOOSE),
    "ruling_disposition_needs_review": (
        "disposition",
        "A disposition says what this ruling did to the ruling it reviews: choose that ruling "
        "under “Reviews”, or set the disposition to “Not an appeal / not recorded”.",
    ),
    "ruling_not_review_itself": (
        "reviews",
        "A ruling cannot review itself: choose the lower ruling this one reviews.",
    ),
    "effect_one_per_policy": (
        "policy",
        "This ruling already records an effect on this policy: change that row instead of "
        "adding another.",
    ),
    "effect_valid": ("effect", _CHOOSE),
}


def validate_constraints_on_fields(instance, exclude=None) -> None:
    """Model.validate_constraints, with each known constraint's error as a sentence on its
    field (a field the form does not show gets it as a general error)."""
    exclude = set(exclude or ())
    using = router.db_for_write(type(instance), instance=instance)
    errors: dict = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                known = CONSTRAINT_ERRORS.get(constraint.name)
                if known is None:
                    errors = error.update_error_dict(errors)
                    continue
                field, message = known
                if callable(field):
                    field = field(instance)
                if field in exclude:
                    field = NON_FIELD_ERRORS
                errors.setdefault(field, []).append(ValidationError(message, code=constraint.name))
    if errors:
        raise ValidationError(errors)


# --- Loops --------------------------------------------------------------------------------------


def _loop(start, target_pk, parent: Callable) -> list | None:
    """The chain from `start` up (through `parent`) to the record `target_pk`, or None."""
    chain, node, seen = [], start, set()
    while node is not None and node.pk not in seen and len(chain) < MAX_CHAIN:
        chain.append(node)
        if node.pk == target_pk:
            return chain
        seen.add(node.pk)
        node = parent(node)
    return None


def appeal_route_loop(court: Court, appeals_to: Court | None) -> list[Court] | None:
    """The courts an appeal would pass through back to `court` if its appeals went to
    `appeals_to` (None when that makes no loop)."""
    if appeals_to is None or court.pk is None:
        return None
    return _loop(appeals_to, court.pk, lambda node: node.appeals_to)


def review_chain_loop(ruling: Ruling, reviews: Ruling | None) -> list[Ruling] | None:
    """The rulings a review chain would pass through back to `ruling` if it reviewed
    `reviews` (None when that makes no loop)."""
    if reviews is None or ruling.pk is None:
        return None
    return _loop(reviews, ruling.pk, lambda node: node.reviews)
