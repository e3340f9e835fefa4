"""Each policy's legal status on a given day, derived from its rulings (DESIGN.md, principle 4).

Nobody types a status. `core` holds the rules, pure and table-tested without a database;
`loader` reads the facts the rules need from the database, in a fixed number of queries;
`store` keeps the results as intervals, rewritten whenever the facts change (`triggers`), and
answers every read with an interval lookup.
"""

from cases.status.core import (
    Appeal,
    Block,
    Change,
    CircuitHolding,
    CourtFacts,
    EffectFacts,
    JurisdictionFacts,
    LawsuitFacts,
    PartFacts,
    PartStatus,
    PolicyFacts,
    PolicyStatus,
    Protection,
    ReachFacts,
    RulingFacts,
    StatusCode,
    derive,
    format_day,
)
from cases.status.loader import computed_statuses
from cases.status.store import (
    policy_status,
    rebuild,
    statuses_for,
    stored_rows_on,
    summaries_for,
    with_status,
)

__all__ = [
    "Appeal",
    "Block",
    "Change",
    "CircuitHolding",
    "CourtFacts",
    "EffectFacts",
    "JurisdictionFacts",
    "LawsuitFacts",
    "PartFacts",
    "PartStatus",
    "PolicyFacts",
    "PolicyStatus",
    "Protection",
    "ReachFacts",
    "RulingFacts",
    "StatusCode",
    "derive",
    "computed_statuses",
    "format_day",
    "policy_status",
    "rebuild",
    "statuses_for",
    "stored_rows_on",
    "summaries_for",
    "with_status",
]
