"""Keeps the stored statuses current: every change a status depends on rebuilds the statuses of
the policies it touches, in the same transaction as the change.

What a status depends on, and which policies each change touches:
- a ruling (its date, court, kind, outcome, disposition, review link, publication state) and
  its lawsuits: the policies with an effect on any ruling in its review chain, before and after
  the change (an appeal decided reaches the policies of the ruling it reviews);
- an effect, its parts and protected jurisdictions: its policy, before and after;
- a policy: itself and the memos interpreting it (they end with it); a part: its policy;
- a lawsuit (caption, "on appeal", publication): the policies its rulings touch;
- a jurisdiction (its name is in the headlines): the policies of the effects protecting it;
- a court (appeal routes, names): every policy.

Outside `deferred()`, each saved or deleted record rebuilds at once. The admin wraps each
request in `deferred()` inside its transaction, so a ruling saved with its effects is rebuilt
once, at the end. Fixtures (`loaddata`, raw saves) and bulk loads bypass the records' own
signals (not those of their many-to-many links); their commands defer the links' rebuilds and
rebuild everything when done (`load_seed`, `manage.py rebuild_statuses`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from cases.models import (
    Court,
    Jurisdiction,
    Lawsuit,
    Policy,
    PolicyPart,
    Ruling,
    RulingEffect,
)
from cases.status.store import rebuild

_state = threading.local()


def _carried() -> set[int]:
    """Policies found before a change (its old state), waiting for the change to land."""
    if not hasattr(_state, "carried"):
        _state.carried = set()
    return _state.carried


@contextmanager
def deferred() -> Iterator[None]:
    """Rebuild once, when the block ends without an error, every policy its changes touched.
    Use it inside the transaction the changes are made in."""
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    if depth == 0:
        _state.pending = set()
    try:
        yield
        if depth == 0 and _state.pending:
            # A rebuild saves nothing that signals here, so the set is final.
            rebuild(_state.pending)
    finally:
        _state.depth = depth
        if depth == 0:
            _state.pending = set()


def touch(policy_ids: Iterable[int]) -> None:
    """The given policies' statuses (and any carried from before the change) must be rebuilt."""
    ids = set(policy_ids) | _carried()
    _carried().clear()
    if not ids:
        return
    if getattr(_state, "depth", 0):
        _state.pending |= ids
    else:
        rebuild(ids)


def _review_chains(ruling_ids: Iterable[int]) -> set[int]:
    """The given rulings and every ruling linked to them by reviews, up or down the chain."""
    found = set(ruling_ids)
    frontier = set(found)
    while frontier:
        linked = Ruling.objects.filter(pk__in=frontier) | Ruling.objects.filter(
            reviews__in=frontier
        )
        step = set()
        for pk, reviews_id in linked.values_list("pk", "reviews_id"):
            step.add(pk)
            if reviews_id is not None:
                step.add(reviews_id)
        frontier = step - found
        found |= step
    return found


def policies_of_rulings(ruling_ids: Iterable[int]) -> set[int]:
    chains = _review_chains(ruling_ids)
    return set(RulingEffect.objects.filter(ruling__in=chains).values_list("policy_id", flat=True))


def _policies_of_lawsuit(lawsuit_id: int) -> set[int]:
    rulings = Ruling.lawsuits.through.objects.filter(lawsuit_id=lawsuit_id).values_list(
        "ruling_id", flat=True
    )
    return policies_of_rulings(rulings)


def _policy_and_memos(policy_id: int) -> set[int]:
    return {policy_id} | set(Policy.objects.filter(parent=policy_id).values_list("pk", flat=True))


def _affected(instance) -> set[int]:
    """The policies whose statuses depend on `instance` as it is now in the database."""
    if isinstance(instance, Ruling):
        return policies_of_rulings([instance.pk])
    if isinstance(instance, RulingEffect):
        return {instance.policy_id} | policies_of_rulings([instance.ruling_id])
    if isinstance(instance, Policy):
        return _policy_and_memos(instance.pk)
    if isinstance(instance, PolicyPart):
        return {instance.policy_id}
    if isinstance(instance, Lawsuit):
        return _policies_of_lawsuit(instance.pk)
    if isinstance(instance, Jurisdiction):
        return set(
            RulingEffect.objects.filter(protected=instance.pk).values_list("policy_id", flat=True)
        )
    if isinstance(instance, Court):  # appeal routes decide who binds whom: every policy
        return set(Policy.objects.values_list("pk", flat=True))
    return set()


WATCHED = (Ruling, RulingEffect, Policy, PolicyPart, Lawsuit, Jurisdiction, Court)


def _before(sender, instance, raw=False, **kwargs) -> None:
    """Before a save or delete: the policies the record touches as it was."""
    if not raw and instance.pk is not None:
        _carried().update(_affected(instance))


def _after_save(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        touch(_affected(instance))


def _after_delete(sender, instance, **kwargs) -> None:
    touch(_affected(instance))


def _links_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Parts, protected jurisdictions or lawsuits linked to or unlinked from a record."""
    if action == "pre_clear":  # the links are gone by `post_clear`: note their policies now
        _carried().update(_affected(instance))
    elif action in {"post_add", "post_remove", "post_clear"}:
        if reverse and pk_set:
            for record in model.objects.filter(pk__in=pk_set):
                _carried().update(_affected(record))
        touch(_affected(instance))


def connect() -> None:
    for model in WATCHED:
        pre_save.connect(_before, sender=model, dispatch_uid=f"status-pre-save-{model.__name__}")
        pre_delete.connect(
            _before, sender=model, dispatch_uid=f"status-pre-delete-{model.__name__}"
        )
        post_save.connect(_after_save, sender=model, dispatch_uid=f"status-save-{model.__name__}")
        post_delete.connect(
            _after_delete, sender=model, dispatch_uid=f"status-delete-{model.__name__}"
        )
    for through in (
        RulingEffect.parts.through,
        RulingEffect.protected.through,
        Ruling.lawsuits.through,
    ):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"status-{through}")
