"""The fast paths of a list page show exactly what Django's own machinery would have shown:
the filter forms' widgets and labels, the rulings table's rows, and records' addresses."""

import datetime
import re

import pytest
from django.forms.renderers import DjangoTemplates
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from cases import filters
from cases.models import (
    Court,
    FundingProgram,
    Jurisdiction,
    Lawsuit,
    Policy,
    Ruling,
    RulingKind,
)
from cases.rendering import FilterFormRenderer
from cases.tables import RULING_ROW_VALUES, RulingRow, ruling_table_rows
from cases.templatetags.tracker import facet_markup, filter_fields
from tests.factories import LawsuitFactory, PolicyFactory, RulingEffectFactory, RulingFactory

pytestmark = pytest.mark.django_db

FILTERSETS = [
    (filters.RulingFilter, Ruling.objects.published()),
    (filters.LawsuitFilter, Lawsuit.objects.published()),
    (filters.PolicyFilter, Policy.objects.published()),
    (filters.ProgramFilter, FundingProgram.objects.all()),
    (filters.CourtListFilter, Court.objects.all()),
    (filters.JurisdictionFilter, Jurisdiction.objects.all()),
]

# Chosen values (selected options, ticked boxes, typed text) and invalid ones (errors shown).
QUERIES = [
    "",
    "court=ilnd&court=cand&circuit=ca7&kind=stay&kind=tro&outcome=mixed&policy=eo-13768-9a"
    "&program=byrne-jag&sort=court&q=%3Cb%3E%22quoted%22+%26+more&decided_after=2017-01-02",
    "court=nowhere&kind=verdict&decided_before=yesterday&lawsuit=no-such-case&sort=random",
    "status=filed&status=closed&plaintiff=chicago-il&filed_after=2017-08-07&level=district"
    "&has_cases=true&state=ca&role=plaintiff",
]


@pytest.mark.parametrize(("filterset_class", "queryset"), FILTERSETS)
@pytest.mark.parametrize("query", QUERIES)
def test_filter_forms_render_as_django_renders_them(seeded, filterset_class, queryset, query):
    request = RequestFactory().get(f"/?{query}")
    filterset = filterset_class(request.GET.copy(), queryset=queryset, request=request)
    filterset.is_valid()
    form = filterset.form
    assert isinstance(form.renderer, FilterFormRenderer)

    fields = list(form)
    assert fields
    for field in fields:
        fast_widget, fast_label = str(field), field.label_tag()
        form.renderer = DjangoTemplates()
        try:
            assert fast_widget == str(field), field.name
            assert fast_label == field.label_tag(), field.name
        finally:
            form.renderer = filterset.form.default_renderer


FACET_PAGES = [
    "/rulings/",  # courts without rulings left out: "Show all courts"
    "/rulings/?court=ilnd&court=cand&kind=stay&policy=eo-13768-sec-9a&program=byrne-jag",
    "/rulings/?all_courts=true",  # every court: "Show only the courts with ..."
    "/rulings/?q=no+ruling+says+this",  # no choice has a match: "None has ..."
    "/lawsuits/?status=pending&court=ilnd",
    "/timeline/?kind=ruling",
]


def test_facets_render_as_their_template_does(seeded, client):
    seen = set()
    for url in FACET_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        shown = response.context["filter"]
        form = shown["form"] if isinstance(shown, dict) else shown.form  # the timeline's: a dict
        facets = [field.facet for field in form.fields.values() if getattr(field, "facet", None)]
        assert facets, url
        for facet in facets:
            expected = render_to_string("includes/facet.html", {"facet": facet})
            assert facet_markup(facet) == expected, (url, facet.name)
            assert facet.label in response.content.decode()
            seen.update(
                {
                    "checkboxes" if facet.multiple else "select",
                    *("grouped" for group in facet.groups if group.legend),
                    *("ticked" for option in facet.options if option.selected),
                    *(["none has"] if facet.multiple and not facet.groups else []),
                    *(["show all"] if facet.show_all_url else []),
                    *(["fewer"] if facet.fewer_url else []),
                }
            )
    assert seen == {"checkboxes", "select", "grouped", "ticked", "none has", "show all", "fewer"}


LIST_PAGES = ["/rulings/", "/lawsuits/", "/policies/", "/programs/", "/courts/", "/jurisdictions/"]


def test_filter_fields_render_as_their_template_does(seeded, client):
    """`{% filter_fields %}` writes what includes/filter_fields.html writes, on every list's
    form, chosen values, errors and all."""
    seen = set()
    for page in [*LIST_PAGES, "/timeline/"]:
        for query in [*QUERIES, "all_courts=true"]:
            response = client.get(f"{page}?{query}")
            assert response.status_code in (200, 400), (page, query)
            shown = response.context["filter"]
            form = shown["form"] if isinstance(shown, dict) else shown.form
            expected = render_to_string("includes/filter_fields.html", {"form": form})
            fast = filter_fields(form)
            assert fast == expected, (page, query)
            assert fast in response.content.decode()
            for field in form:
                seen.update(
                    {
                        "hidden with a value" if field.is_hidden and field.value() else "",
                        "facet" if getattr(field.field, "facet", None) else "",
                        "fieldset" if field.use_fieldset and not field.is_hidden else "",
                        "help" if field.help_text else "",
                        "errors" if field.errors else "",
                    }
                )
    assert seen >= {"hidden with a value", "facet", "fieldset", "help", "errors"}


def test_a_selected_court_and_ticked_kind_show_as_chosen(seeded, client):
    page = client.get("/rulings/?court=ilnd&kind=stay").content.decode()

    # Courts are ticked checkboxes grouped by circuit (tests/test_facets.py).
    assert 'name="court" value="ilnd" id="id_court_ilnd" checked>' in page
    assert 'name="kind" value="stay" id="id_kind_6" checked>' in page


def test_record_addresses_match_reverse_and_follow_the_script_prefix(seeded):
    records = [
        (Ruling.objects.first(), "cases:ruling-detail", "pk"),
        (Court.objects.get(pk="ilnd"), "cases:court-detail", "pk"),
        (Lawsuit.objects.first(), "cases:lawsuit-detail", "slug"),
        (Policy.objects.first(), "cases:policy-detail", "slug"),
        (FundingProgram.objects.first(), "cases:program-detail", "slug"),
        (Jurisdiction.objects.first(), "cases:jurisdiction-detail", "slug"),
    ]
    for record, name, key in records:
        assert record.get_absolute_url() == reverse(name, kwargs={key: getattr(record, key)})
    set_script_prefix("/tracker/")
    try:
        ruling = records[0][0]
        assert ruling.get_absolute_url() == f"/tracker/rulings/{ruling.pk}/"
    finally:
        set_script_prefix("/")


def test_table_rows_carry_cases_and_policies_in_order(seeded):
    court = Court.objects.get(pk="ilnd")
    older = LawsuitFactory(court=court, caption="Older v. Case", filed_on=datetime.date(2017, 8, 1))
    newer = LawsuitFactory(court=court, caption="Newer v. Case", filed_on=datetime.date(2017, 9, 1))
    hidden = LawsuitFactory(court=court, caption="Draft v. Case", publication_state="draft")
    ruling = RulingFactory(court=court, decided_on=datetime.date(2017, 10, 1))
    ruling.lawsuits.set([newer, hidden, older])
    first = PolicyFactory(short_title="First policy", issued_on=datetime.date(2017, 1, 1))
    second = PolicyFactory(short_title="Second policy", issued_on=datetime.date(2017, 7, 1))
    draft = PolicyFactory(short_title="Draft policy", publication_state="draft")
    for policy in (second, draft, first):
        RulingEffectFactory(ruling=ruling, policy=policy, effect="blocks")

    from_model, from_values = (
        ruling_table_rows([Ruling.objects.select_related("court").get(pk=ruling.pk)]),
        ruling_table_rows(Ruling.objects.filter(pk=ruling.pk).values_list(*RULING_ROW_VALUES)),
    )
    assert from_model == from_values
    # From ids, each ruling read with its cases and effects (one gone since: left out).
    assert ruling_table_rows([ruling.pk, ruling.pk + 1000]) == from_model
    (row,) = from_model
    assert isinstance(row, RulingRow) and row.court_label == court.citation_string
    assert [link.label for link in row.case_links] == ["Older v. Case", "Newer v. Case"]
    assert [link.url for link in row.case_links] == [
        older.get_absolute_url(),
        newer.get_absolute_url(),
    ]
    assert [(link.note, link.label) for link in row.policy_links] == [
        ("Blocks the policy", "First policy"),
        ("Blocks the policy", "Second policy"),
    ]


def test_table_cells_are_escaped(seeded, client):
    court = Court.objects.get(pk="ilnd")
    suit = LawsuitFactory(court=court, caption='<script>alert("case")</script>')
    ruling = RulingFactory(
        court=court, kind=RulingKind.STAY, citation="<img src=x onerror=alert(1)>"
    )
    ruling.lawsuits.add(suit)
    RulingEffectFactory(ruling=ruling, policy=PolicyFactory(short_title="<b>Bold</b> & co"))

    page = client.get(f"/rulings/?lawsuit={suit.slug}").content.decode()

    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Bold" not in page
    assert "&lt;script&gt;alert(&quot;case&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page


def test_choice_widgets_follow_the_chosen_values_and_errors(seeded, client):
    first = client.get("/rulings/?court=ilnd").content.decode()
    again = client.get("/rulings/?court=ilnd&kind=stay").content.decode()
    other = client.get("/rulings/?court=cand").content.decode()
    invalid = client.get("/rulings/?court=nowhere&kind=stay")
    valid_again = client.get("/rulings/?kind=stay&sort=court").content.decode()

    ilnd, cand = (
        'value="ilnd" id="id_court_ilnd" checked>',
        'value="cand" id="id_court_cand" checked>',
    )
    assert ilnd in first and ilnd in again
    assert 'value="stay" id="id_kind_6" checked>' in again
    assert 'value="stay" id="id_kind_6" checked>' not in first
    assert cand in other
    assert ilnd not in other
    assert invalid.status_code == 400
    court_select = re.search(r'<select name="court"[^>]*>', invalid.content.decode())
    assert court_select and 'aria-invalid="true"' in court_select.group(0)
    assert 'aria-invalid="true"' not in valid_again
    assert '<option value="court" selected>Court</option>' in valid_again


@pytest.mark.parametrize(
    "query",
    [
        "",
        "court=ilnd",
        "court=ilnd&court=ca7&page=3",
        "q=%C3%A9t%C3%A9+%26+more&format=csv",
        "page=",
    ],
)
@pytest.mark.parametrize(
    "changes",
    ["", "page=2", "format='csv' page=None", "page=None", "court=None", "sort='kind' page=None"],
)
def test_the_query_tag_writes_what_querystring_writes(rf, query, changes):
    request = rf.get(f"/rulings/?{query}")
    ours = Template(f"{{% load tracker %}}{{% query {changes} %}}")
    django = Template(f"{{% querystring {changes} %}}")

    assert ours.render(RequestContext(request)) == django.render(RequestContext(request))
