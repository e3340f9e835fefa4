"""What a visitor does: filter the rulings with the form, download them, follow links, fix a typo.

The data come from the `tracker` fixture (conftest.py): published rulings in N.D. Illinois
(Chicago, Evanston) and N.D. California (San Francisco, Santa Clara), a 7th Circuit appeal in the
Chicago case and an unpublished Chicago ruling that must never show.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.exports import RULING_EXPORT

ILND = "District Court, N.D. Illinois"
CAND = "District Court, N.D. California"


def case_captions(page: Page) -> list[str]:
    """The "Case" cell of each row of the results table, in order."""
    return page.locator(".results table tbody tr td:nth-child(3)").all_inner_texts()


def court_choices(page: Page):
    """The court facet: a group of checkboxes, grouped by circuit, each with its count."""
    return page.get_by_role("group", name="Court", exact=True)


def court_checkbox(page: Page, court_name: str):
    # The label is the court's name and its number of matching rulings.
    return court_choices(page).get_by_label(re.compile(rf"^{re.escape(court_name)} \d+"))


def apply_court_filter(page: Page, court_name: str) -> None:
    court_checkbox(page, court_name).check()
    page.get_by_role("button", name="Apply filters").click()


def test_filter_by_court_then_download_exactly_those_rulings(page: Page, tracker) -> None:
    page.goto("/rulings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rulings")
    # Records created in the test are visible to the live server: every published ruling is
    # listed (the draft is not).
    expect(page.locator(".results tbody tr")).to_have_count(5)

    apply_court_filter(page, ILND)

    expect(page).to_have_url(re.compile(r"/rulings/\?(.*&)?court=ilnd(&|$)"))
    rows = page.locator(".results tbody tr")
    expect(rows).to_have_count(2)
    assert case_captions(page) == ["City of Evanston v. Sessions", "City of Chicago v. Sessions"]
    expect(rows.locator("td:nth-child(2)")).to_have_text(["N.D. Ill.", "N.D. Ill."])
    expect(page.locator(".results")).not_to_contain_text("Santa Clara")
    expect(page.locator(".results")).not_to_contain_text("7th Cir.")

    link = page.get_by_role("link", name="Download CSV (2 rows)")
    before = timezone.localdate()
    with page.expect_download() as info:
        link.click()
    download = info.value
    dates = {before, timezone.localdate()}  # the download may straddle midnight
    # Named after what it holds: the rulings of the N.D. Ill., on the server's today.
    assert download.suggested_filename in {f"rulings-ilnd-{d:%Y-%m-%d}.csv" for d in dates}
    assert download.failure() is None

    text = Path(download.path()).read_text(encoding="utf-8-sig")
    header, *rows_out = list(csv.reader(io.StringIO(text)))
    assert header == RULING_EXPORT.headers
    assert {"id", "url", "decided_on", "court_id", "lawsuits"} <= set(header)
    records = [dict(zip(header, row, strict=True)) for row in rows_out]
    expected = sorted(tracker["ilnd_rulings"], key=lambda r: r.decided_on, reverse=True)
    assert [r["id"] for r in records] == [str(r.pk) for r in expected]
    assert [r["court_id"] for r in records] == ["ilnd", "ilnd"]
    assert [r["lawsuits"] for r in records] == [
        "City of Evanston v. Sessions",
        "City of Chicago v. Sessions",
    ]
    assert [r["decided_on"] for r in records] == ["2018-10-31", "2017-09-15"]


def test_ruling_page_links_to_its_court_and_its_lawsuit(page: Page, tracker) -> None:
    page.goto("/rulings/?court=ilnd")
    chicago_row = page.locator(".results tbody tr").filter(has_text="City of Chicago v. Sessions")
    chicago_row.get_by_role("link", name="Preliminary injunction").click()

    ruling = tracker["ilnd_rulings"][0]
    expect(page).to_have_url(re.compile(rf"/rulings/{ruling.pk}/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Preliminary injunction: {ILND}, 15 Sep 2017")
    facts = page.locator("dl.facts")
    # The appeal that reviewed it is linked too.
    expect(
        page.get_by_role("link", name=re.compile(r"Appellate opinion of 7th Cir\."))
    ).to_be_visible()

    facts.get_by_role("link", name=ILND).click()
    expect(page).to_have_url(re.compile(r"/courts/ilnd/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ILND)
    expect(page.locator("dl.facts")).to_contain_text("Court of Appeals for the Seventh Circuit")

    page.go_back()
    expect(heading).to_contain_text("Preliminary injunction")
    facts.get_by_role("link", name="City of Chicago v. Sessions").click()
    expect(page).to_have_url(re.compile(r"/lawsuits/chicago-v-sessions/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("City of Chicago v. Sessions")
    # The lawsuit page lists the case's published rulings: the injunction and the appeal.
    expect(page.locator("#rulings-heading + p + .table-wrap tbody tr")).to_have_count(2)


def test_invalid_filter_in_the_url_is_a_400_with_the_error_shown(page: Page, tracker) -> None:
    response = page.goto("/rulings/?decided_after=yesterday")
    assert response is not None
    assert response.status == 400

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Some filters could not be used")
    expect(alert).to_contain_text("decided_after")
    expect(alert).to_contain_text("Enter a date written YYYY-MM-DD")
    expect(page.locator(".field.has-error")).to_contain_text("Enter a date written YYYY-MM-DD")
    expect(page.locator(".results")).to_contain_text("Fix the filters above to see results.")
    expect(page.locator(".results table")).to_have_count(0)
    # The error links to the field it is about.
    alert.get_by_role("link", name="decided_after").click()
    expect(page).to_have_url(re.compile(r"#id_decided_after$"))


def test_remove_link_drops_just_that_filter(page: Page, tracker) -> None:
    page.goto("/rulings/?court=ilnd&outcome=challengers")
    active = page.locator(".active-filters")
    expect(active.locator("li")).to_have_text(
        [re.compile(rf"^Court: {ILND}\s+remove$"), re.compile(r"^Outcome: For the challengers")]
    )
    expect(page.locator(".results tbody tr")).to_have_count(2)

    active.get_by_role("link", name=f"Remove filter Court: {ILND}").click()

    expect(page).to_have_url(re.compile(r"/rulings/\?outcome=challengers$"))
    expect(active.locator("li")).to_have_count(1)
    expect(active).to_contain_text("Outcome: For the challengers")
    expect(court_choices(page).locator("input:checked")).to_have_count(0)
    # Every published ruling for the challengers, in any court; the government's win is out.
    captions = case_captions(page)
    assert len(captions) == 4
    assert "City and County of San Francisco v. Trump; County of Santa Clara v. Trump" in captions
    assert "7th Cir." in page.locator(".results tbody").inner_text()


def test_filter_form_works_without_javascript(new_context, tracker) -> None:
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/rulings/")
    expect(page.locator(".results tbody tr")).to_have_count(5)

    court_checkbox(page, CAND).check()
    page.get_by_role("group", name="Outcome").get_by_label("For the government").check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"court=cand.*outcome=government"))
    expect(page.locator(".results tbody tr")).to_have_count(1)
    assert case_captions(page) == ["City and County of San Francisco v. Trump"]

    page.get_by_role("link", name=re.compile(r"^Remove filter Outcome")).click()
    expect(page.locator(".results tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Clear all").click()
    expect(page).to_have_url(re.compile(r"/rulings/$"))
    expect(page.locator(".results tbody tr")).to_have_count(5)


def test_date_inputs_take_iso_dates(page: Page, tracker) -> None:
    page.goto("/rulings/")
    page.get_by_label("Decided on or after").fill("2017-11-01")
    page.get_by_label("Decided on or before").fill("2018-06-30")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"decided_after=2017-11-01&decided_before=2018-06-30"))
    # The 7th Circuit appeal (19 Apr 2018) and the N.D. Cal. judgment (20 Nov 2017).
    expect(page.locator(".results tbody tr td:first-child")).to_have_text(
        ["19 Apr 2018", "20 Nov 2017"]
    )
