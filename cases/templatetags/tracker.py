"""Template helpers for the public pages."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from cases.caching import KeptForVersion
from cases.listing import encoded_pair
from cases.models import DatePrecision, RulingKind, RulingOutcome, RulingScope, record_url
from cases.rendering import conditional_escape

if TYPE_CHECKING:
    from cases.facets import Facet
    from cases.tables import RulingRow

register = template.Library()

_KIND = dict(RulingKind.choices)
_OUTCOME = dict(RulingOutcome.choices)
_SCOPE = dict(RulingScope.choices)


@register.filter
def as_known(value: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    """A date shown only as exactly as it is known: '20 Nov 2017', 'Aug 2017' or '2017'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{value:%b %Y}"
    return f"{value.day} {value:%b %Y}"


@register.simple_tag
def ruling_rows(rulings: Iterable[RulingRow]) -> SafeString:
    """The <tr> of each ruling in a rulings table (includes/ruling_table.html).

    Built in Python, as the admin builds its changelist rows, every value escaped: a list page
    shows 50 rulings, and a template loop over their seven cells took a third of the time the
    page took to build. The rows come from `tables.ruling_table_rows`.
    """
    return mark_safe("".join(_ruling_row(row) for row in rulings))


def _ruling_row(ruling: RulingRow) -> str:
    if not ruling.markup:  # a row kept for the data version is built once (tables.KEPT_ROWS)
        ruling.markup = _build_ruling_row(ruling)
    return ruling.markup


def _build_ruling_row(ruling: RulingRow) -> str:
    e = conditional_escape
    url = e(ruling.get_absolute_url())
    court_url = e(record_url("cases:court-detail", "pk", ruling.court_id))
    cases = "; ".join(f'<a href="{e(c.url)}">{e(c.label)}</a>' for c in ruling.case_links)
    policies = "<br>".join(
        f'{e(p.note)}: <a href="{e(p.url)}">{e(p.label)}</a>' for p in ruling.policy_links
    )
    citation = f"<br><small>{e(ruling.citation)}</small>" if ruling.citation else ""
    kind = _KIND.get(ruling.kind, ruling.kind)
    outcome = _OUTCOME.get(ruling.outcome, ruling.outcome)
    return (
        "\n    <tr>"
        f'\n      <td data-label="Date"><a href="{url}"><time datetime="'
        f'{ruling.decided_on.isoformat()}">{e(as_known(ruling.decided_on))}</time></a></td>'
        f'\n      <td data-label="Court"><a href="{court_url}">{e(ruling.court_label)}</a></td>'
        f'\n      <td data-label="Case">{cases}</td>'
        f'\n      <td data-label="Ruling"><a href="{url}">{e(kind)}</a>{citation}</td>'
        f'\n      <td data-label="Outcome"><span class="outcome outcome-{e(ruling.outcome)}">'
        f"{e(outcome)}</span></td>"
        f'\n      <td data-label="Scope">{e(_SCOPE.get(ruling.scope, ruling.scope))}</td>'
        f'\n      <td data-label="Effect on policies">{policies}</td>'
        "\n    </tr>"
    )


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """`{% querystring %}`, to the byte (tests/test_rendering.py), for the request's own query:
    its parameters with `changes` (a value replaces a parameter's, None removes it, a new one
    comes last), each parameter encoded once per process instead of copying the query and
    encoding it again for every link (a list page has half a dozen)."""
    given = context.request.GET
    pairs = []
    for key, values in given.lists():
        if key not in changes:
            pairs += [(key, value) for value in values]
        elif (value := changes[key]) is not None:
            pairs += _as_pairs(key, value)
    for key, value in changes.items():
        if key not in given and value is not None:
            pairs += _as_pairs(key, value)
    if not pairs and not given:
        return ""
    return "?" + "&".join(encoded_pair(key, value) for key, value in pairs)


def _as_pairs(key: str, value) -> list[tuple[str, str]]:
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [(key, str(each)) for each in value]
    return [(key, str(value))]


# The site's main navigation: each list's URL name and its link text (templates/base.html).
SITE_NAV = (
    ("ruling-list", "Rulings"),
    ("lawsuit-list", "Lawsuits"),
    ("policy-list", "Policies"),
    ("program-list", "Programs"),
    ("court-list", "Courts"),
    ("jurisdiction-list", "Jurisdictions"),
    ("timeline", "Timeline"),
)


@register.simple_tag(takes_context=True)
def site_nav(context) -> SafeString:
    """The main navigation's links, the page's own marked `aria-current`: the same few
    lists on every page, so each variant is built once per process, URLconf and address prefix
    (seven `{% url %}` tags cost a first view of a list a few percent)."""
    match = getattr(context.get("request"), "resolver_match", None)
    return mark_safe(
        _site_nav(getattr(match, "url_name", None), get_urlconf(), get_script_prefix())
    )


@register.simple_tag
def address(viewname: str) -> str:
    """`{% url viewname %}` for a page without parameters (the home page, a list, a feed),
    reversed once per process, URLconf and address prefix rather than on every page."""
    return fixed_address(viewname)


def fixed_address(viewname: str) -> str:
    return _reversed(viewname, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _reversed(viewname: str, urlconf, script_prefix: str) -> str:
    return reverse(viewname)


@functools.lru_cache(maxsize=64)
def _site_nav(current: str | None, urlconf, script_prefix: str) -> str:
    links = []
    for name, text in SITE_NAV:
        url = conditional_escape(fixed_address(f"cases:{name}"))
        mark = ' aria-current="page"' if name == current else ""
        links.append(f'<li><a href="{url}"{mark}>{text}</a></li>')
    return "\n        ".join(links)


@register.simple_tag
def facet_markup(facet: Facet) -> SafeString:
    """includes/facet.html, to the byte, built in Python (tests/test_rendering.py renders every
    facet both ways): the rulings' form lists a hundred-odd courts with their counts, and the
    template loop over them was a tenth of what a first view of the list took to build."""
    e = conditional_escape
    name, noun = e(facet.name), e(facet.noun)
    if not facet.multiple:
        options = "".join(
            (parts := _option_parts(o.value, o.label))[0]
            + (" selected" if o.selected else "")
            + parts[1]
            + str(o.count)
            + ")</option>\n        "
            for o in facet.options
        )
        return mark_safe(
            '\n    <div class="field facet">'
            f'\n      <label for="id_{name}">{e(facet.label)}</label>'
            f'\n      <select name="{name}" id="id_{name}">'
            f'\n        <option value="">{e(facet.empty_label or "Any")}</option>'
            f"\n        {options}"
            "\n      </select>\n    </div>\n\n"
        )
    groups = []
    ending = f'<span class="visually-hidden"> {noun}</span></span></label></li>\n        '
    for group in facet.groups:
        legend = e(group.legend)
        options = "".join(
            (parts := _checkbox_parts(facet.name, o.value, o.id, o.label))[0]
            + (" checked" if o.selected else "")
            + parts[1]
            + str(o.count)
            + ending
            for o in group.options
        )
        groups.append(
            "\n      "
            + (f'<fieldset class="facet-group"><legend>{legend}</legend>' if legend else "")
            + f'\n      <ul class="facet-options">\n        {options}\n      </ul>\n      '
            + ("</fieldset>" if legend else "")
            + "\n      "
        )
    if not groups:
        groups.append(f'\n      <p class="muted">None has {noun}.</p>\n      ')
    show_all = (
        f'<p class="facet-more"><a href="{e(facet.show_all_url)}">Show all courts</a> '
        f"({facet.hidden} more, with no {noun})</p>"
        if facet.show_all_url
        else ""
    )
    fewer = (
        f'<p class="facet-more"><a href="{e(facet.fewer_url)}">Show only the courts with '
        f"{noun}</a></p>"
        if facet.fewer_url
        else ""
    )
    return mark_safe(
        f'\n    <fieldset class="field facet" id="facet-{name}">'
        f"\n      <legend>{e(facet.label)}</legend>\n      {''.join(groups)}"
        f"\n      {show_all}\n      {fewer}\n    </fieldset>\n\n"
    )


# A facet's options are the same few hundred (courts, kinds, policies) on every page, only their
# counts and whether they are chosen change: each one's markup around them is escaped once.


@functools.lru_cache(maxsize=4096)
def _option_parts(value: str, label: str) -> tuple[str, str]:
    """A <select> facet's option, before ` selected` and before its count."""
    e = conditional_escape
    return f'<option value="{e(value)}"', f">{e(label)} ("


@functools.lru_cache(maxsize=4096)
def _checkbox_parts(name: str, value: str, option_id: str, label: str) -> tuple[str, str]:
    """A checkbox facet's option, before ` checked` and before its count."""
    e = conditional_escape
    return (
        f'\n        <li><input type="checkbox" name="{e(name)}" value="{e(value)}" '
        f'id="{e(option_id)}"',
        f'> <label for="{e(option_id)}">{e(label)} <span class="count">',
    )


@register.simple_tag
def filter_fields(form) -> SafeString:
    """Each field of a filter form, as includes/filter_fields.html writes them, to the byte,
    built in Python (tests/test_rendering.py renders every public form both ways, with errors
    too): the template's loop over a form's dozen fields cost a first view of the rulings about
    0.5 ms more (of 11). A hidden field is shown only with a value, a facet by `facet_markup`, a
    field of several inputs in a <fieldset>, any other with its label, help and errors.

    Such a field shows only the values given for it, its errors and its choices, so on a public
    page (a data version read) its markup is kept for the version (`KEPT_FIELDS`): most fields
    are empty on most pages."""
    parts = []
    for field in form:
        if field.is_hidden:
            parts.append((str(field) if field.value() else "") + "\n    ")
        elif facet := getattr(field.field, "facet", None):
            parts.append(facet_markup(facet) + "\n    ")
        elif (version := getattr(field.field, "data_version", None)) is None:
            parts.append(_field_markup(field))
        else:
            key = (
                type(form),
                field.name,
                tuple(form.data.getlist(field.html_name)),
                tuple(field.errors),
            )
            parts.append(KEPT_FIELDS.get(version, key, lambda field=field: _field_markup(field)))
    return mark_safe("".join(f"\n    {part}\n  " for part in parts))


# The markup of the filter forms' fields other than facets, by form, field, values and errors.
KEPT_FIELDS = KeptForVersion(limit=1024)


def _field_markup(field) -> str:
    """A field with its label (or a legend), its help and its errors."""
    e = conditional_escape
    errors = field.errors
    failed = ' has-error"' if errors else '"'
    error_box = (
        f'<div class="error" id="{e(field.auto_id)}_error">'
        + "".join(f"<p>{e(error)}</p>" for error in errors)
        + "</div>"
        if errors
        else ""
    )
    if field.use_fieldset:
        described = f' aria-describedby="{e(field.auto_id)}_error"' if errors else ""
        return (
            f'\n    <fieldset class="field{failed}{described}>'
            f"\n      <legend>{e(field.label)}</legend>"
            f"\n      {field}\n      {error_box}\n    </fieldset>\n    "
        )
    help_text = (
        f'<small id="{e(field.auto_id)}_helptext">{e(field.help_text)}</small>'
        if field.help_text
        else ""
    )
    return (
        f'\n    <div class="field{failed}>\n      {field.label_tag()}'
        f"\n      {field}\n      {help_text}\n      {error_box}\n    </div>\n    "
    )


# Each status's shape, so a status reads without its colour (includes/status_legend.html): a
# full circle for a block that protects everyone, a half for some, a hollow one for a stayed
# block; a square where the policy is in force, a triangle where a court upheld it.
STATUS_SHAPES = {
    "blocked_nationwide": "●",
    "blocked_partly": "◐",
    "block_stayed": "○",
    "upheld": "▲",
    "in_force": "■",
    "no_ruling": "□",
    "ended": "✕",
    "not_yet_issued": "◇",
}
STATUS_MEANINGS = {
    "blocked_nationwide": "a court order stops it everywhere",
    "blocked_partly": "a court order stops it for some jurisdictions or parts",
    "block_stayed": "a block exists but is suspended, so it applies",
    "upheld": "a court held it lawful",
    "in_force": "it applies; no block stands",
    "no_ruling": "no court has ruled on it",
    "ended": "revoked, rescinded, superseded or expired",
    "not_yet_issued": "not issued yet on that day",
}


@register.simple_tag
def status_badge(code: str, label: str) -> SafeString:
    """A status word with its shape and colour: `{% status_badge status.code status.label %}`."""
    e = conditional_escape
    shape = STATUS_SHAPES.get(str(code), "◇")
    return mark_safe(
        f'<span class="status-badge status-word-{e(code)}"><span class="status-shape" '
        f'aria-hidden="true">{shape}</span> <strong>{e(label)}</strong></span>'
    )


@register.inclusion_tag("includes/status_legend.html")
def status_legend(open: bool = False) -> dict:  # noqa: A002 (the <details> attribute)
    """The legend of the status shapes (folded unless `open`)."""
    from cases.status import StatusCode

    return {
        "open": open,
        "statuses": [
            {
                "code": code,
                "label": label,
                "shape": STATUS_SHAPES[code],
                "meaning": STATUS_MEANINGS[code],
            }
            for code, label in StatusCode.choices
        ],
    }
