"""Where a policy stands, circuit by circuit: the binding holding in each of the 13 circuits and
who is protected there, from a policy's derived status (`PolicyStatus.circuits` and
`.protections`), for the policy page and the dashboard (includes/circuit_holdings.html).

A protected jurisdiction belongs to the circuit of its state, read from the district courts'
locations (a district court sits in one state and appeals to one circuit); a state-wide block
protects in the circuit of each named state; a nationwide one everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cases.caching import DataVersion, until_next_change
from cases.models import Court, CourtLevel, Jurisdiction, Reach, USState
from cases.status import CircuitHolding, JurisdictionFacts, PolicyStatus


@dataclass
class CircuitRow:
    holding: CircuitHolding
    nationwide: bool = False  # a nationwide block protects everyone in this circuit
    states: list[str] = field(default_factory=list)  # state names protected state-wide
    jurisdictions: list[JurisdictionFacts] = field(default_factory=list)

    @property
    def protected(self) -> bool:
        return self.nationwide or bool(self.states or self.jurisdictions)

    @property
    def short_name(self) -> str:
        """'7th', 'DC', 'Fed' for the strip's labels."""
        return self.holding.name.removesuffix(" Cir.").replace(".", "")


def state_circuits() -> dict[str, str]:
    """Each state's (postal code's) circuit, from the district courts sitting in it."""
    codes = {name: code for code, name in USState.choices}
    rows = Court.objects.filter(
        level=CourtLevel.DISTRICT, appeals_to__level=CourtLevel.APPELLATE
    ).values_list("location", "appeals_to_id")
    return {codes[location]: circuit for location, circuit in rows if location in codes}


def state_circuits_now(version: DataVersion | None) -> dict[str, str]:
    return until_next_change(version, "state-circuits", state_circuits)


def jurisdiction_states(statuses: Iterable[PolicyStatus]) -> dict[int, str]:
    """The state of every jurisdiction the statuses protect by name (one query)."""
    ids = {
        jurisdiction.id
        for status in statuses
        for protection in status.protections
        for jurisdiction in protection.reach.jurisdictions
    }
    if not ids:
        return {}
    return dict(Jurisdiction.objects.filter(pk__in=ids).values_list("pk", "state"))


def circuit_rows(
    status: PolicyStatus, circuits_of_states: dict[str, str], states_of: dict[int, str]
) -> list[CircuitRow]:
    """The 13 circuits of `status`, each with its binding holding and who is protected there."""
    rows = {row.circuit: CircuitRow(row) for row in status.circuits}
    names = dict(USState.choices)
    for protection in status.protections:
        reach = protection.reach
        if reach.nationwide:
            for row in rows.values():
                row.nationwide = True
        elif reach.kind == Reach.STATES:
            for state in reach.states:
                row = rows.get(circuits_of_states.get(state, ""))
                if row is not None and names.get(state, state) not in row.states:
                    row.states.append(names.get(state, state))
        else:
            for jurisdiction in sorted(reach.jurisdictions, key=lambda j: j.name):
                row = rows.get(circuits_of_states.get(states_of.get(jurisdiction.id, ""), ""))
                if row is not None and jurisdiction not in row.jurisdictions:
                    row.jurisdictions.append(jurisdiction)
    return list(rows.values())


def circuits_for(
    statuses: list[PolicyStatus], version: DataVersion | None = None
) -> list[list[CircuitRow]]:
    """`circuit_rows` of each status, in the same order: one query at most, whatever the number
    of policies (the states' circuits are kept until the data next changes)."""
    circuits_of_states = state_circuits_now(version)
    states_of = jurisdiction_states(statuses)
    return [circuit_rows(status, circuits_of_states, states_of) for status in statuses]
