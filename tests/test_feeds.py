"""Atom feeds of rulings: valid Atom, newest first, narrowed by the list's filters."""

import datetime
import xml.etree.ElementTree as ET

import feedparser
import pytest

from cases.models import Court, PublicationState
from tests.factories import LawsuitFactory, PolicyFactory, RulingEffectFactory, RulingFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def rulings(court_data):
    ilnd, cand = Court.objects.get(pk="ilnd"), Court.objects.get(pk="cand")
    policy = PolicyFactory(slug="jag-conditions", short_title="Byrne JAG conditions")
    chicago = LawsuitFactory(
        slug="chicago-v-sessions", caption="City of Chicago v. Sessions", court=ilnd
    )
    older = RulingFactory(court=ilnd, lawsuits=[chicago], decided_on=datetime.date(2017, 9, 15))
    newer = RulingFactory(court=ilnd, lawsuits=[chicago], decided_on=datetime.date(2018, 7, 27))
    elsewhere = RulingFactory(court=cand, decided_on=datetime.date(2017, 11, 20))
    RulingFactory(court=ilnd, lawsuits=[chicago], publication_state=PublicationState.DRAFT)
    RulingEffectFactory(ruling=older, policy=policy)
    return {"older": older, "newer": newer, "elsewhere": elsewhere}


def entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # well-formed XML
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text
    assert root.find(f"{ATOM}updated") is not None
    links = []
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}id").text
        assert entry.find(f"{ATOM}updated").text
        links.append(entry.find(f"{ATOM}link").get("href").removeprefix("http://testserver"))
    return links


def test_rulings_feed_is_atom_newest_first_without_drafts(client, rulings):
    links = entries(client, "/rulings/feed/")

    assert links == [
        rulings["newer"].get_absolute_url(),
        rulings["elsewhere"].get_absolute_url(),
        rulings["older"].get_absolute_url(),
    ]


def test_rulings_feed_takes_the_list_filters(client, rulings):
    assert entries(client, "/rulings/feed/?court=cand") == [rulings["elsewhere"].get_absolute_url()]
    assert entries(client, "/rulings/feed/?policy=jag-conditions") == [
        rulings["older"].get_absolute_url()
    ]


def test_rulings_feed_rejects_a_bad_filter(client, rulings):
    assert client.get("/rulings/feed/?court=zzz").status_code == 400
    assert client.get("/rulings/feed/?decided_after=%00").status_code == 400


def test_lawsuit_and_policy_feeds(client, rulings):
    assert entries(client, "/lawsuits/chicago-v-sessions/feed/") == [
        rulings["newer"].get_absolute_url(),
        rulings["older"].get_absolute_url(),
    ]
    assert entries(client, "/policies/jag-conditions/feed/") == [
        rulings["older"].get_absolute_url()
    ]
    assert client.get("/lawsuits/nope/feed/").status_code == 404


def test_pages_advertise_their_feeds(client, rulings):
    page = client.get("/rulings/?court=ilnd").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/rulings/feed/?court=ilnd"' in page
    lawsuit_page = client.get("/lawsuits/chicago-v-sessions/").content.decode()
    assert 'href="/lawsuits/chicago-v-sessions/feed/"' in lawsuit_page


def parsed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def self_link(feed) -> str:
    (link,) = [link.href for link in feed.feed.links if link.rel == "self"]
    return link.removeprefix("http://testserver")


def test_a_filtered_feed_keeps_its_filters_in_its_self_link_and_title(client, rulings):
    feed = parsed(client, "/rulings/feed/?court=ilnd&kind=preliminary_injunction&q=")

    assert self_link(feed) == "/rulings/feed/?court=ilnd&kind=preliminary_injunction"
    assert feed.feed.title == "Rulings: N.D. Ill., Preliminary injunction"
    # Subscribing through rel="self" gets the same, filtered entries.
    again = parsed(client, self_link(feed))
    assert [e.link for e in again.entries] == [e.link for e in feed.entries]
    assert len(feed.entries) == 2


def test_feed_titles_say_what_each_filter_holds(client, rulings):
    assert parsed(client, "/rulings/feed/").feed.title == (
        "Rulings: sanctuary funding litigation tracker"
    )
    assert parsed(client, "/rulings/feed/").feed.links[-1].href.endswith("/rulings/feed/")
    titled = parsed(client, "/rulings/feed/?circuit=ca7&policy=jag-conditions").feed.title
    assert titled == "Rulings: 7th Cir., Byrne JAG conditions"
    dated = parsed(client, "/rulings/feed/?decided_after=2018-01-01").feed.title
    assert dated == "Rulings: decided on or after 2018-01-01"


def test_feed_entries_name_the_case(client, rulings):
    feed = parsed(client, "/rulings/feed/?court=ilnd")

    assert [entry.title for entry in feed.entries] == [
        "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 27 Jul 2018",
        "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 15 Sep 2017",
    ]


def test_lawsuit_and_policy_feeds_point_to_themselves(client, rulings):
    lawsuit_feed = parsed(client, "/lawsuits/chicago-v-sessions/feed/")
    assert self_link(lawsuit_feed) == "/lawsuits/chicago-v-sessions/feed/"
    assert lawsuit_feed.entries[0].title.startswith("City of Chicago v. Sessions: ")
    assert self_link(parsed(client, "/policies/jag-conditions/feed/")) == (
        "/policies/jag-conditions/feed/"
    )
