"""Reporter citations are recognised with eyecite and linked to CourtListener; the rest is
escaped."""

import pytest
from django.template import Context, Template

from cases import citations
from cases.citations import courtlistener_url, linked_citations
from cases.models import Ruling
from tests.factories import RulingFactory

CL = "https://www.courtlistener.com/c/"


def test_a_federal_reporter_citation_links_to_courtlistener():
    html = linked_citations("888 F.3d 272")

    assert html == (
        f'<a class="citation" href="{CL}F.3d/888/272/" rel="external noopener" '
        'title="Look up 888 F.3d 272 on CourtListener">888 F.3d 272</a>'
    )


def test_the_reporter_is_url_encoded():
    assert f'href="{CL}F.%20Supp.%203d/275/1196/"' in linked_citations("275 F. Supp. 3d 1196")
    assert courtlistener_url("F. Supp. 3d", "250", "497") == f"{CL}F.%20Supp.%203d/250/497/"


def test_every_citation_in_a_summary_is_linked_and_the_words_are_kept():
    text = (
        "Affirming 264 F. Supp. 3d 933 (N.D. Ill. 2017); see also "
        "City of Philadelphia v. Sessions, 280 F. Supp. 3d 579, 611 (E.D. Pa. 2017)."
    )

    html = linked_citations(text)

    assert html.count("<a ") == 2
    assert f'href="{CL}F.%20Supp.%203d/264/933/"' in html
    assert f'href="{CL}F.%20Supp.%203d/280/579/"' in html
    assert html.startswith("Affirming <a ")
    assert "</a> (N.D. Ill. 2017); see also City of Philadelphia v. Sessions, <a" in html
    assert html.endswith("</a>, 611 (E.D. Pa. 2017).")


@pytest.mark.parametrize(
    "text",
    [
        "82 Fed. Reg. 8799",
        "34 U.S.C. § 10153",
        "Id. at 280.",
        "888 F.3d at 280",
        "___ F.4th ___",
        "No citation here.",
    ],
)
def test_only_full_case_citations_are_linked(text):
    assert "<a " not in linked_citations(text)


def test_everything_else_is_escaped():
    html = linked_citations('<script>alert("x")</script> & 897 F.3d 1225 <b>bold</b>')

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <a " in html
    assert "</a> &lt;b&gt;bold&lt;/b&gt;" in html


def test_nothing_to_link_is_escaped_too():
    assert linked_citations("a < b & c") == "a &lt; b &amp; c"
    assert linked_citations("") == ""
    assert linked_citations(None) == ""


def test_the_template_filter_links_and_escapes():
    template = Template("{% load citations %}{{ text|linked_citations|linebreaksbr }}")

    html = template.render(Context({"text": "<i>See</i>\n888 F.3d 272"}))

    assert html == (
        "&lt;i&gt;See&lt;/i&gt;<br>"
        f'<a class="citation" href="{CL}F.3d/888/272/" rel="external noopener" '
        'title="Look up 888 F.3d 272 on CourtListener">888 F.3d 272</a>'
    )


# --- On the pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_seeded_ruling_page_links_its_citation_to_courtlistener(client, seeded):
    ruling = Ruling.objects.published().get(citation="897 F.3d 1225")

    html = client.get(ruling.get_absolute_url()).content.decode()

    assert f'<a class="citation" href="{CL}F.3d/897/1225/"' in html
    assert ">897 F.3d 1225</a>" in html


@pytest.mark.django_db
def test_citations_in_a_ruling_summary_are_linked_and_escaped(client):
    ruling = RulingFactory(
        citation="250 F. Supp. 3d 497",
        summary="Follows <em>Chicago</em>, 888 F.3d 272.\nSecond line.",
    )

    html = client.get(ruling.get_absolute_url()).content.decode()

    assert f'href="{CL}F.%20Supp.%203d/250/497/"' in html
    assert (
        f'Follows &lt;em&gt;Chicago&lt;/em&gt;, <a class="citation" href="{CL}F.3d/888/272/"'
    ) in html
    assert "</a>.<br>Second line." in html


@pytest.mark.django_db
def test_list_pages_do_not_run_eyecite(client, monkeypatch):
    RulingFactory(citation="888 F.3d 272", summary="See 888 F.3d 272.")
    citations._citation_links.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("eyecite was called")

    monkeypatch.setattr("eyecite.get_citations", refuse)

    for url in ("/", "/rulings/", "/timeline/", "/rulings/?format=csv"):
        assert client.get(url).status_code == 200, url
