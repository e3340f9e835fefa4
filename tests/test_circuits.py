"""Where a policy stands, circuit by circuit: on the policy page and the dashboard, the binding
holding in each of the 13 circuits and who is protected there, following `as_of`."""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db

JAG = "byrne-jag-fy2017-conditions"


def circuit_table(html: str, after: str = "") -> dict[str, list[str]]:
    """{circuit: [holding, ruling, protected]} of the first circuits table after `after`."""
    start = html.index(after) if after else 0
    table = re.search(r'<table class="circuits">.*?</table>', html[start:], re.S).group()
    rows = {}
    for row in re.findall(r"<tr class=\"holding-[^\"]*\">(.*?)</tr>", table, re.S):
        name = re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[name] = [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
    return rows


def test_the_policy_page_lists_every_circuit_with_its_holding_and_who_is_protected(seeded, client):
    html = client.get(f"/policies/{JAG}/?as_of=2018-08-15").content.decode()

    rows = circuit_table(html)
    assert len(rows) == 13
    holding, ruling, protected = rows["7th Cir."]
    assert holding == "Unlawful (notice condition, access condition)"
    assert ruling.startswith("the 7th Cir. opinion of")
    assert protected == "City of Chicago, City of Evanston"
    assert rows["3d Cir."][0] == "No holding yet"
    assert rows["3d Cir."][2] == "City of Philadelphia"
    assert rows["9th Cir."][2] == "Nobody"
    # The SVG shows the same: one mark per circuit, a dot where someone is protected, and the
    # table as its text.
    svg = re.search(r'<svg class="circuit-strip".*?</svg>', html, re.S).group()
    assert 'role="img"' in svg and "as in the table below" in svg
    assert svg.count("<g ") == 13
    assert svg.count('class="protected"') == 2


def test_the_circuits_follow_as_of(seeded, client):
    later = circuit_table(client.get(f"/policies/{JAG}/").content.decode())
    earlier = circuit_table(client.get(f"/policies/{JAG}/?as_of=2018-08-15").content.decode())

    assert later["2d Cir."][0].startswith("Lawful")  # decided after 15 Aug 2018
    assert earlier["2d Cir."][0] == "No holding yet"
    assert later["7th Cir."][2] == "Nobody"  # the conditions have ended since


def test_the_dashboard_shows_each_policys_circuits(seeded, client):
    html = client.get("/?as_of=2018-08-15").content.decode()

    assert "Where each policy stands, circuit by circuit on 15 Aug 2018" in html
    order = circuit_table(html, after='id="circuits-eo-13768-sec-9a"')
    assert order["9th Cir."][0] == "Unlawful"
    assert order["9th Cir."][2] == "Every government within California"
    preference = circuit_table(html, after='id="circuits-cops-fy2017-preference"')
    assert {row[2] for row in preference.values()} == {"Everyone (nationwide block)"}
    jag = circuit_table(html, after=f'id="circuits-{JAG}"')
    assert jag["7th Cir."][2] == "City of Chicago, City of Evanston"
    # Each policy's SVG has its own title id.
    titles = re.findall(r'<title id="(circuits-[^"]+-strip-title)">', html)
    assert len(titles) == len(set(titles)) == 3


def test_the_dashboard_today_follows_the_data(seeded, client):
    html = client.get("/").content.decode()

    preference = circuit_table(html, after='id="circuits-cops-fy2017-preference"')
    assert preference["9th Cir."][0] == "Lawful"
    assert "Everyone (nationwide block)" not in html


def test_a_policy_nobody_ruled_on_says_so_in_a_line(seeded, client):
    html = client.get("/policies/doj-letters-2017-04-21/").content.decode()

    assert '<table class="circuits">' not in html
    assert "no court of appeals has held on it, and no order protects anyone from it" in html
