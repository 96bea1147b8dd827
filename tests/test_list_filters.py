"""Every list's filters read the same: "Tous" or "Toutes" (by the gender of the French noun)
as the empty choice of a select, "Par défaut" for the sort, never "---------"; they all
come from one base class (``partnership.core.filters.FilterSet``)."""

import importlib
import re
from html.parser import HTMLParser

import django_filters
import pytest
from django.urls import reverse

from partnership.core.filters import FilterSet
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "agreement_list",
    "programme_list",
    "action_list",
    "meeting_list",
    "decision_list",
    "conventions:convention_list",
    "experimentations:experimentation_list",
    "organisation_list",
    "contact_list",
]


class _FilterSelects(HTMLParser):
    """The selects of the page's search form: their label's text and their first option."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_form = False
        self.labels, self.selects = {}, {}
        self.label_for = self.select = self.option = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("role") == "search":
            self.in_form = True
        if not self.in_form:
            return
        if tag == "label":
            self.label_for = attributes.get("for")
            self.labels[self.label_for] = ""
        elif tag == "select":
            self.select = attributes["id"]
        elif tag == "option" and self.select and self.select not in self.selects:
            self.option = ""

    def handle_data(self, data):
        if self.label_for:
            self.labels[self.label_for] += data
        if self.option is not None:
            self.option += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "label":
            self.label_for = None
        elif tag == "option" and self.option is not None:
            self.selects[self.select] = self.option.strip()
            self.option = None
        elif tag == "select":
            self.select = None

    def first_options(self):
        return {
            re.sub(r"[\s*]+", " ", self.labels[select]).strip(): option
            for select, option in self.selects.items()
        }


def _first_options(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = _FilterSelects()
    parser.feed(response.content.decode())
    options = parser.first_options()
    assert options, f"no filter select on {url}"
    return options


@pytest.mark.parametrize("url_name", LISTS)
def test_every_empty_filter_choice_reads_tous_or_toutes(client, anact_coordinator, url_name):
    client.force_login(anact_coordinator)
    options = _first_options(client, reverse(url_name))
    for label, first in options.items():
        assert label[0].isupper(), label
        expected = {"Par défaut"} if label == "Trier par" else {"Tous", "Toutes"}
        assert first in expected, (label, first)


def test_the_empty_choice_agrees_with_the_noun(client, anact_coordinator):
    client.force_login(anact_coordinator)
    experimentations = _first_options(client, reverse("experimentations:experimentation_list"))
    assert experimentations["Région"] == "Toutes"
    assert experimentations["Phase"] == "Toutes"
    assert experimentations["Priorité"] == "Toutes"
    assert experimentations["Secteur"] == "Tous"
    assert experimentations["Accord-cadre"] == "Tous"
    agreements = _first_options(client, reverse("agreement_list"))
    assert agreements == {"Statut": "Tous", "Partie": "Toutes", "Trier par": "Par défaut"}


def test_the_programme_page_filters_its_actions_the_same_way(client, agreement, anact_coordinator):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    client.force_login(anact_coordinator)
    options = _first_options(client, programme.get_absolute_url())
    assert set(options.values()) == {"Tous"}
    page = client.get(programme.get_absolute_url(), {"group": "theme"}).content.decode()
    # Folded behind "Filtres" on a phone like every list; grouping by theme is kept.
    assert 'class="btn btn-outline-secondary mb-3 d-md-none d-print-none filter-toggle"' in page
    assert '<input type="hidden" name="group" value="theme">' in page
    assert 'href="?group=theme">Réinitialiser</a>' in page


def test_every_filterset_inherits_the_base():
    for module in [
        "conventions.filters",
        "experimentations.filters",
        "partnership.agreements.filters",
        "partnership.directory.filters",
        "partnership.meetings.filters",
        "partnership.programmes.filters",
    ]:
        importlib.import_module(module)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [
        cls
        for cls in subclasses(django_filters.FilterSet)
        if cls.__module__.split(".")[0] in {"partnership", "conventions", "experimentations"}
        and cls is not FilterSet
    ]
    assert len(ours) >= 10
    assert [cls for cls in ours if not issubclass(cls, FilterSet)] == []
