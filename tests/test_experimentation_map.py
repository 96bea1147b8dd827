"""The map of France's regions shading the enrolled companies, on the list and on each
experimentation's page; each region a link to the list filtered by that region."""

import re

import pytest
from django.urls import reverse

from experimentations import francemap
from experimentations.models import Experimentation
from partnership.models import Region
from tests.factories import (
    AgreementPartyFactory,
    EnrolledCompanyFactory,
    ExperimentationFactory,
    SignedAgreementFactory,
    TerritoryFactory,
)

LIST = reverse("experimentations:experimentation_list")
REGION_LINK = re.compile(
    r'<a href="(?P<href>[^"]+)" class="map-region map-fill-(?P<bucket>\d)[^"]*" '
    r'data-region="(?P<code>[^"]+)" data-count="(?P<count>\d+)"'
)


def _regions(html):
    return {m["code"]: m.groupdict() for m in REGION_LINK.finditer(html)}


def _svg(html):
    return html[html.index("<svg") : html.index("</svg>")]


@pytest.fixture
def enrolled(agreement, outsider_organisation):
    """Companies in Brittany (12), Occitanie (3), La Réunion (1); others in a foreign agreement."""
    home_care = ExperimentationFactory(agreement=agreement, title="Aide à domicile")
    TerritoryFactory(experimentation=home_care, region=Region.BRE)
    for _n in range(12):
        EnrolledCompanyFactory(experimentation=home_care, region=Region.BRE)
    EnrolledCompanyFactory(experimentation=home_care, region=Region.LRE)
    industry = ExperimentationFactory(agreement=agreement, title="Industrie")
    TerritoryFactory(experimentation=industry, region=Region.OCC)
    for _n in range(3):
        EnrolledCompanyFactory(experimentation=industry, region=Region.OCC)
    foreign = SignedAgreementFactory()
    AgreementPartyFactory(agreement=foreign, organisation=outsider_organisation)
    hidden = ExperimentationFactory(agreement=foreign, title="Hors accord")
    for _n in range(30):
        EnrolledCompanyFactory(experimentation=hidden, region=Region.IDF)
    return {"home_care": home_care, "industry": industry, "hidden": hidden}


def test_bucket_boundaries():
    assert [francemap.bucket(n) for n in (0, 1, 2, 4, 5, 9, 10, 19, 20, 500)] == [
        0,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]


def test_every_region_has_a_shape_inside_the_map():
    assert set(francemap.SHAPES) == set(Region)
    numbers = re.compile(r"(-?\d+\.?\d*),(-?\d+\.?\d*)")
    for region, shape in francemap.SHAPES.items():
        points = [(float(x), float(y)) for x, y in numbers.findall(shape.path)]
        assert len(points) >= 4, region
        assert all(0 <= x <= francemap.WIDTH and 0 <= y <= francemap.HEIGHT for x, y in points)
        assert 0 < shape.label_x < francemap.WIDTH and 0 < shape.label_y < francemap.HEIGHT
    # The overseas regions are drawn in their own frames, the others are not.
    overseas = {region for region, shape in francemap.SHAPES.items() if shape.inset}
    assert overseas == set(Region.overseas())


def test_neighbours_share_their_border_exactly():
    # Brittany and Pays de la Loire meet along the same points, without a gap.
    brittany = set(re.findall(r"-?\d+\.\d,-?\d+\.\d", francemap.SHAPES[Region.BRE].path))
    loire = set(re.findall(r"-?\d+\.\d,-?\d+\.\d", francemap.SHAPES[Region.PDL].path))
    assert len(brittany & loire) == len(francemap.BORDERS["bre_pdl"])


def test_list_map_shades_the_companies_of_all_visible_experimentations(
    client, enrolled, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(LIST)
    assert response.status_code == 200
    regions = _regions(response.text)
    assert set(regions) == {region.value for region in Region}
    assert regions["BRE"]["count"] == "12" and regions["BRE"]["bucket"] == "4"
    assert regions["OCC"]["count"] == "3" and regions["OCC"]["bucket"] == "2"
    assert regions["974"]["count"] == "1" and regions["974"]["bucket"] == "1"
    # The companies of an agreement the person does not see are not counted.
    assert regions["IDF"]["count"] == "0" and regions["IDF"]["bucket"] == "0"
    assert response.context["map_total"] == 16
    assert all(r["href"] == f"{LIST}?region={code}" for code, r in regions.items())
    svg = _svg(response.text)
    assert "<title>Bretagne" in svg and "12" in svg
    assert "style=" not in svg
    # The same figures in a table.
    assert f'<a href="{LIST}?region=BRE">Bretagne</a>' in response.text


def test_clicking_a_region_lists_its_experimentations(client, enrolled, anact_reader):
    # La Réunion is no territory of the home care experimentation, but a company is there.
    client.force_login(anact_reader)
    response = client.get(LIST, {"region": Region.LRE})
    assert [e.title for e in response.context["object_list"]] == ["Aide à domicile"]
    regions = _regions(response.text)
    assert 'map-region-selected" data-region="974"' in response.text
    assert regions["974"]["count"] == "1"
    response = client.get(LIST, {"region": Region.OCC})
    assert [e.title for e in response.context["object_list"]] == ["Industrie"]
    response = client.get(LIST, {"region": Region.IDF})
    assert list(response.context["object_list"]) == []


def test_detail_map_shades_the_companies_of_that_experimentation(client, enrolled, anact_reader):
    client.force_login(anact_reader)
    response = client.get(enrolled["industry"].get_absolute_url())
    regions = _regions(response.text)
    assert regions["OCC"]["count"] == "3" and regions["OCC"]["bucket"] == "2"
    assert regions["BRE"]["count"] == "0"
    assert response.context["map_total"] == 3
    assert regions["OCC"]["href"] == f"{LIST}?region=OCC"


def test_outsider_sees_only_their_own_companies_on_the_map(client, enrolled, outsider):
    client.force_login(outsider)
    regions = _regions(client.get(LIST).text)
    assert regions["IDF"]["count"] == "30" and regions["IDF"]["bucket"] == "5"
    assert regions["BRE"]["count"] == "0"


@pytest.mark.parametrize("rows", [1, 50])
def test_list_with_its_map_query_count_does_not_grow_with_companies(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for n in range(rows):
        experimentation = ExperimentationFactory(agreement=agreement)
        EnrolledCompanyFactory(experimentation=experimentation, region=list(Region)[n % 18])
        EnrolledCompanyFactory(experimentation=experimentation, region=Region.BRE)
    client.force_login(anact_reader)
    # session, user, staff profile, the count, Django's own permission tables (two queries:
    # a reader may not create, the model backend is asked too), the companies by region, the
    # partner organisations and the agreements of the filter, the page of experimentations,
    # their partners, their territories.
    # ... and the bell's unread count.
    with django_assert_num_queries(13):
        response = client.get(LIST)
    assert response.context["map_total"] == 2 * rows
    assert Experimentation.objects.count() == rows
