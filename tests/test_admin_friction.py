"""What entering appellate cases through the admin needs: pickers that find rulings by court
and date and name their case, courts found by their spoken names, a ruling on appeal added from
the ruling it reviews, help on the choices, a state chosen from a list, and an editor account
made without a terminal."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases.models import Court, CourtLevel, Jurisdiction, Ruling, RulingKind
from tests import factories
from tests.test_admin import admin_url, form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def editor_client(client, editors_group):
    user = User.objects.create_user("editor", is_staff=True)
    user.groups.add(editors_group)
    client.force_login(user)
    return client


@pytest.fixture
def seventh_circuit():
    scotus = factories.CourtFactory(
        id="scotus",
        name="Supreme Court of the United States",
        citation_string="U.S.",
        level=CourtLevel.SUPREME,
    )
    ca7 = factories.CourtFactory(
        id="ca7",
        name="Court of Appeals for the Seventh Circuit",
        citation_string="7th Cir.",
        level=CourtLevel.APPELLATE,
        appeals_to=scotus,
    )
    ilnd = factories.CourtFactory(
        id="ilnd",
        name="District Court, N.D. Illinois",
        citation_string="N.D. Ill.",
        appeals_to=ca7,
    )
    return scotus, ca7, ilnd


@pytest.fixture
def chicago_ruling(seventh_circuit):
    _, _, ilnd = seventh_circuit
    lawsuit = factories.LawsuitFactory(court=ilnd, caption="City of Chicago v. Sessions")
    return factories.RulingFactory(
        court=ilnd, lawsuits=[lawsuit], decided_on=datetime.date(2017, 9, 15)
    )


def picked(client, term: str, field: str = "reviews") -> list[str]:
    response = client.get(
        reverse("admin:cases_ruling_autocomplete"),
        {"term": term, "app_label": "cases", "model_name": "ruling", "field_name": field},
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


# --- The ruling pickers -------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["N.D. Ill.", "ilnd", "2017-09-15", "2017-09", "Chicago"])
def test_the_reviews_picker_finds_a_ruling_by_court_or_date_and_names_its_case(
    editor_client, chicago_ruling, term
):
    factories.RulingFactory(decided_on=datetime.date(2018, 1, 2))  # another court and date

    assert picked(editor_client, term) == [
        "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 2017-09-15"
    ]


def test_the_chosen_ruling_is_shown_whole_with_its_case(editor_client, chicago_ruling):
    appeal = factories.RulingFactory(
        court=Court.objects.get(pk="ca7"),
        kind=RulingKind.APPELLATE_OPINION,
        reviews=chicago_ruling,
        disposition="affirmed",
        lawsuits=list(chicago_ruling.lawsuits.all()),
        decided_on=datetime.date(2018, 4, 19),
    )

    body = editor_client.get(admin_url(Ruling, "change", appeal)).content.decode()

    chosen = re.search(r'<select name="reviews"[^>]*>(.*?)</select>', body, re.S)
    assert chosen is not None
    assert (
        "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 2017-09-15" in (chosen[1])
    )
    assert 'data-width="min(100%, 56em)"' in chosen[0]
    assert reverse("admin:cases_ruling_autocomplete") in chosen[0]


@pytest.mark.parametrize("model_name", ["rulingeffect", "ruling_lawsuits"])
def test_the_effect_and_case_pickers_name_rulings_with_their_case_too(
    editor_client, chicago_ruling, model_name
):
    response = editor_client.get(
        reverse("admin:cases_ruling_autocomplete"),
        {"term": "N.D. Ill.", "app_label": "cases", "model_name": model_name}
        | {"field_name": "ruling"},
    )

    assert [result["text"] for result in response.json()["results"]] == [
        "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 2017-09-15"
    ]


# --- Courts by their spoken names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "wanted"),
    [
        ("Southern District of New York", "nysd"),
        ("southern district of new york", "nysd"),
        ("United States District Court for the Northern District of Illinois", "ilnd"),
        ("District of Columbia", "dcd"),
        ("9th Circuit", "ca9"),
        ("S.D.N.Y.", "nysd"),
    ],
)
def test_courts_are_found_by_their_spoken_names(editor_client, term, wanted):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/courts.json", verbosity=0)

    response = editor_client.get(admin_url(Court, "changelist"), {"q": term})

    assert wanted in [court.pk for court in response.context["cl"].result_list]
    autocomplete = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "cases", "model_name": "lawsuit", "field_name": "court"},
    )
    assert wanted in [result["id"] for result in autocomplete.json()["results"]]


def test_a_spoken_name_does_not_find_the_other_districts(editor_client):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/courts.json", verbosity=0)

    response = editor_client.get(
        admin_url(Court, "changelist"), {"q": "Southern District of New York"}
    )

    assert [court.pk for court in response.context["cl"].result_list] == ["nysd"]


# --- A ruling on appeal -------------------------------------------------------------------------


def test_a_ruling_on_appeal_is_added_from_the_ruling_it_reviews(editor_client, chicago_ruling):
    page = editor_client.get(admin_url(Ruling, "change", chicago_ruling)).content.decode()
    link = re.search(r'<a href="([^"]+)">Add a ruling on appeal of this one</a>', page)
    assert link is not None
    assert "Court of Appeals for the Seventh Circuit" in page

    add_page = editor_client.get(link[1].replace("&amp;", "&"))

    form = add_page.context["adminform"].form
    assert form["court"].value() == "ca7"
    assert str(form["reviews"].value()) == str(chicago_ruling.pk)
    assert [str(pk) for pk in form["lawsuits"].value()] == [
        str(pk) for pk in chicago_ruling.lawsuits.values_list("pk", flat=True)
    ]
    assert form["kind"].value() == RulingKind.APPELLATE_OPINION

    data = form_data(add_page)
    data.update(decided_on="2018-04-19", outcome="challengers", disposition="affirmed")
    prefix = next(f for f in add_page.context["inline_admin_formsets"]).formset.prefix
    data[f"{prefix}-TOTAL_FORMS"] = "0"
    response = editor_client.post(link[1].replace("&amp;", "&"), data)

    assert response.status_code == 302
    appeal = Ruling.objects.get(reviews=chicago_ruling)
    assert appeal.court_id == "ca7"
    assert list(appeal.lawsuits.all()) == list(chicago_ruling.lawsuits.all())


def test_the_case_page_offers_an_appeal_from_each_of_its_rulings(editor_client, chicago_ruling):
    lawsuit = chicago_ruling.lawsuits.get()
    lawsuit.plaintiffs.set([factories.JurisdictionFactory()])

    body = editor_client.get(admin_url(factories.LawsuitFactory._meta.model, "change", lawsuit))

    assert f"reviews={chicago_ruling.pk}&amp;court=ca7" in body.content.decode()


def test_an_appeal_from_the_supreme_court_is_not_offered(editor_client, seventh_circuit):
    scotus = seventh_circuit[0]
    ruling = factories.RulingFactory(court=scotus, kind=RulingKind.SUPREME_COURT)

    body = editor_client.get(admin_url(Ruling, "change", ruling)).content.decode()

    assert "Add a ruling on appeal of this one" not in body
    assert "No court is above this one." in body


def test_an_appeal_from_a_circuit_goes_to_the_supreme_court(editor_client, seventh_circuit):
    ruling = factories.RulingFactory(court=seventh_circuit[1], kind=RulingKind.APPELLATE_OPINION)

    body = editor_client.get(admin_url(Ruling, "change", ruling)).content.decode()

    assert f"reviews={ruling.pk}&amp;court=scotus&amp;kind=supreme_court" in body


# --- Help on the choices ------------------------------------------------------------------------


def test_kind_outcome_and_effect_carry_help_saying_what_to_record(editor_client, chicago_ruling):
    page = editor_client.get(admin_url(Ruling, "change", chicago_ruling))
    form = page.context["adminform"].form
    effects = next(iter(page.context["inline_admin_formsets"])).formset

    assert "What the court issued" in form.fields["kind"].help_text
    assert "Whom the ruling favours" in form.fields["outcome"].help_text
    effect_help = effects.form.base_fields["effect"].help_text
    assert "reversing or vacating an injunction is “Lifts an earlier block”" in effect_help
    body = page.content.decode()
    assert "a reversal of an injunction lifts the block" in body


# --- A jurisdiction's state ---------------------------------------------------------------------


def test_a_jurisdictions_state_is_chosen_from_the_list(editor_client):
    jurisdiction = factories.JurisdictionFactory(state="CA")
    url = admin_url(Jurisdiction, "change", jurisdiction)
    page = editor_client.get(url)
    body = page.content.decode()
    assert '<select name="state"' in body
    assert '<option value="PR">Puerto Rico</option>' in body

    data = form_data(page)
    data["state"] = "XX"
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["state"]

    data["state"] = "IL"
    assert editor_client.post(url, data).status_code == 302
    jurisdiction.refresh_from_db()
    assert jurisdiction.get_state_display() == "Illinois"


@pytest.mark.django_db(transaction=True)
def test_the_state_migration_carries_edited_records_forward():
    executor = MigrationExecutor(connection)
    before, after = (
        [("cases", "0013_record_versions")],
        [("cases", "0014_jurisdiction_state_choices")],
    )
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("cases", "Jurisdiction")
        old.objects.create(slug="chicago", name="City of Chicago", kind="city", state="IL")
        old.objects.create(slug="saipan", name="Saipan", kind="other", state="CM")
        old.objects.create(slug="san-juan", name="San Juan", kind="city", state="PR")
        executor = MigrationExecutor(connection)
        executor.migrate(after)

        new = executor.loader.project_state(after).apps.get_model("cases", "Jurisdiction")
        assert dict(new.objects.values_list("slug", "state")) == {
            "chicago": "IL",
            "saipan": "MP",
            "san-juan": "PR",
        }
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )


@pytest.mark.django_db(transaction=True)
def test_the_state_migration_stops_on_a_code_it_cannot_place():
    executor = MigrationExecutor(connection)
    before, after = (
        [("cases", "0013_record_versions")],
        [("cases", "0014_jurisdiction_state_choices")],
    )
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("cases", "Jurisdiction")
        old.objects.create(slug="nowhere", name="Nowhere", kind="city", state="ZZ")
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError, match=r"nowhere \('ZZ'\)"):
            executor.migrate(after)
        assert old.objects.get(slug="nowhere").state == "ZZ"
        old.objects.filter(slug="nowhere").delete()
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )


# --- create_editor without a terminal -----------------------------------------------------------


def test_readme_says_how_create_editor_takes_a_password_without_a_terminal(tmp_path):
    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"^(printf .*\|.*manage\.py create_editor .*)$", readme, re.M)
    assert documented, "README: create_editor with the password on standard input"

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EDITOR_PASSWORD": "plaid-ferret-quarry-71",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    command = documented[1].replace(".venv/bin/python", python)
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
