"""The register of decisions: every decision of the meetings one may see, searchable across
meetings by agreement, text, kind of meeting and period."""

import datetime

import pytest
from django.urls import reverse

from partnership.models import Meeting
from tests.factories import (
    AgendaItemFactory,
    AgreementPartyFactory,
    DecisionFactory,
    MeetingFactory,
    SignedAgreementFactory,
)


def _meeting(agreement, day, **kwargs):
    starts = datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC) + datetime.timedelta(days=day)
    return MeetingFactory(
        agreement=agreement,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        **kwargs,
    )


@pytest.fixture
def register(agreement, anact):
    other = SignedAgreementFactory(reference="AC-ANACT-CNAV")
    AgreementPartyFactory(agreement=other, organisation=anact)
    january = _meeting(
        agreement, 10, title="Copil de janvier", kind=Meeting.Kind.STEERING_COMMITTEE
    )
    june = _meeting(agreement, 160, title="Revue de juin")
    cnav = _meeting(other, 100, title="Réunion Cnav")
    return {
        "budget": DecisionFactory(meeting=january, text="Le budget 2026 est validé."),
        "guide": DecisionFactory(
            meeting=june,
            text="Le guide paraît en septembre.",
            agenda_item=AgendaItemFactory(meeting=june, title="Publication TMS"),
        ),
        "cnav": DecisionFactory(meeting=cnav, text="Une expérimentation est lancée."),
        "other": other,
    }


def _texts(response):
    return [decision.text for decision in response.context["object_list"]]


def test_register_lists_the_decisions_latest_meeting_first(client, register, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("decision_list"))
    assert response.status_code == 200
    assert _texts(response) == [
        "Le guide paraît en septembre.",
        "Une expérimentation est lancée.",
        "Le budget 2026 est validé.",
    ]
    assert register["guide"].meeting.get_absolute_url() + "#decisions" in response.text
    assert "Publication TMS" in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "budget"}, ["Le budget 2026 est validé."]),
        ({"q": "tms"}, ["Le guide paraît en septembre."]),  # the agenda item's title
        ({"q": "copil"}, ["Le budget 2026 est validé."]),  # the meeting's title
        ({"kind": "steering_committee"}, ["Le budget 2026 est validé."]),
        (
            {"starts_from": "2026-03-01", "starts_until": "2026-12-31"},
            ["Le guide paraît en septembre.", "Une expérimentation est lancée."],
        ),
        (
            {"o": "date"},
            [
                "Le budget 2026 est validé.",
                "Une expérimentation est lancée.",
                "Le guide paraît en septembre.",
            ],
        ),
    ],
)
def test_register_filters_by_text_kind_and_period(client, register, anact_reader, query, expected):
    client.force_login(anact_reader)
    assert _texts(client.get(reverse("decision_list"), query)) == expected


def test_register_filters_by_agreement(client, register, agreement, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("decision_list"), {"agreement": register["other"].pk})
    assert _texts(response) == ["Une expérimentation est lancée."]
    response = client.get(reverse("decision_list"), {"agreement": agreement.pk})
    assert len(_texts(response)) == 2


def test_person_sees_only_the_decisions_of_their_agreements(client, register, inrs_reader):
    client.force_login(inrs_reader)  # INRS is no party to the Cnav agreement
    response = client.get(reverse("decision_list"))
    assert "Une expérimentation est lancée." not in _texts(response)
    response = client.get(reverse("decision_list"), {"agreement": register["other"].pk})
    assert "agreement" in response.context["filter"].form.errors


def test_outsider_sees_an_empty_register(client, register, outsider):
    client.force_login(outsider)
    assert _texts(client.get(reverse("decision_list"))) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"starts_from": "2026-06-01", "starts_until": "2026-01-01"}, "starts_until"),
        ({"starts_from": "2026-02-31"}, "starts_from"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_invalid_filter_is_shown_next_to_the_field(client, register, anact_reader, query, field):
    client.force_login(anact_reader)
    response = client.get(reverse("decision_list"), {"q": "tapé", **query})
    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    assert 'value="tapé"' in response.text


def test_meetings_list_and_meeting_page_link_to_the_register(
    client, register, agreement, anact_reader
):
    client.force_login(anact_reader)
    assert reverse("decision_list") in client.get(reverse("meeting_list")).text
    page = client.get(register["guide"].meeting.get_absolute_url())
    assert f"{reverse('decision_list')}?agreement={agreement.pk}" in page.text


@pytest.mark.parametrize("rows", [1, 50])
def test_register_query_count_does_not_grow(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for day in range(rows):
        meeting = _meeting(agreement, day)
        DecisionFactory(meeting=meeting, agenda_item=AgendaItemFactory(meeting=meeting))
    client.force_login(anact_reader)
    # session, user, staff profile, the model permissions of the user and of their groups
    # ("can add"), the agreements of the filter, count, the page of decisions with their
    # meetings, agreements and agenda items.
    # ... and the bell's unread count.
    with django_assert_num_queries(9):
        response = client.get(reverse("decision_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)
