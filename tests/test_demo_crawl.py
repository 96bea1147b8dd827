"""Every page reachable from the dashboard, as each demo person, costs at most 15 SQL queries.

The crawl follows the links of each page drawn (same site, GET, each address once without
its query string, at most ``PER_ROUTE`` records of each kind of page), from the home page,
as a person clicking through everything would; the back office has its own test
(tests/test_admin_query_counts.py), downloads and the log-out are not followed.

The deletion confirmations (``…/supprimer/``) are in the budget too: what goes with the record
is read in one query (partnership/core/deletion.py), where Django's deletion collector took one
per kind of related record and per level (an organisation's confirmation reached 30).
"""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from partnership.demo import data as demo

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
MAX_PAGES = 1000  # per person: a guard, the crawl ends well before
PER_ROUTE = 5
NOT_FOLLOWED = ("/admin/", "/static/", "/media/", "/comptes/logout", "/langue/")
LINK = re.compile(r'href="(/[^"]*)"')


def _links(response):
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    links = []
    for href in LINK.findall(response.content.decode()):
        # Each page once: its filtered, sorted and later pages are the same view and queries.
        url = urlsplit(urldefrag(href.replace("&amp;", "&"))[0]).path
        if url and not url.startswith(NOT_FOLLOWED) and "/telecharger" not in url:
            links.append(url)
    return links


def _crawl(client):
    """{url: queries} of every page reached from the home page."""
    seen, queue, costs, routes = {"/"}, deque(["/"]), {}, Counter()
    while queue:
        url = queue.popleft()
        try:
            route = resolve(url).route
        except Resolver404:
            continue
        routes[route] += 1
        if routes[route] > PER_ROUTE:
            continue
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            continue  # a link to a page refused or moved is not a page of this person's
        costs[url] = len(queries)
        assert len(costs) <= MAX_PAGES, "the crawl does not end"
        for link in _links(response):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return costs


@pytest.mark.parametrize(
    "username", [spec.username for spec in demo.ACCOUNTS], ids=lambda username: username
)
def test_every_page_the_person_reaches_costs_at_most_15_queries(username, django_user_model):
    call_command("load_demo", verbosity=0)
    client = Client()
    client.force_login(django_user_model.objects.get(username=username))
    client.get("/")  # the per-process caches warmed (content types...)

    costs = _crawl(client)

    assert len(costs) > 20, sorted(costs)  # the crawl did go through the site
    assert {url: n for url, n in costs.items() if n > MAX_QUERIES} == {}
