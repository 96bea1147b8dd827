"""The home dashboard: what a person logged in sees first, only from what they may see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Action, Agreement, Meeting
from tests.factories import (
    ActionFactory,
    AgreementPartyFactory,
    ConventionFactory,
    DeliverableFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
)

# What a task or a deliverable past its due date carries, on every page (the overdue_badge tag).
OVERDUE_BADGE = (
    '<span class="badge overdue-badge"><i class="bi bi-exclamation-triangle"'
    ' aria-hidden="true"></i> En retard</span>'
)


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def _in_days(n):
    return timezone.now() + datetime.timedelta(days=n)


def _meeting(agreement, days, **kwargs):
    starts_at = _in_days(days)
    return MeetingFactory(
        agreement=agreement,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        **kwargs,
    )


def _signed_agreement(*organisations, **kwargs):
    agreement = SignedAgreementFactory(**kwargs)
    for organisation in organisations:
        AgreementPartyFactory(agreement=agreement, organisation=organisation)
    return agreement


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)


@pytest.fixture
def hidden(inrs, outsider_organisation, anact_coordinator):
    """An agreement between INRS and Cnav: Anact's staff must see nothing of it."""
    agreement = _signed_agreement(
        inrs,
        outsider_organisation,
        reference="AC-INRS-CNAV",
        title="Accord confidentiel INRS – Cnav",
        starts_on=_days(-400),
        ends_on=_days(40),
    )
    programme = ProgrammeFactory(
        agreement=agreement, year=timezone.localdate().year, title="Programme confidentiel"
    )
    action = ActionFactory(
        programme=programme, title="Action confidentielle", lead_organisation=inrs
    )
    DeliverableFactory(action=action, title="Livrable confidentiel", due_on=_days(5))
    meeting = _meeting(agreement, 3, title="Réunion confidentielle")
    FollowUpTaskFactory(
        meeting=meeting, title="Tâche confidentielle", owner=anact_coordinator, due_on=_days(2)
    )
    ConventionFactory(
        agreement=agreement,
        title="Convention confidentielle",
        status="in_force",
        signed_on=_days(-300),
        starts_on=_days(-300),
        ends_on=_days(20),
    )
    return agreement


@pytest.fixture
def scene(agreement, programme, anact, inrs, anact_coordinator, inrs_reader):
    """The Anact–INRS agreement with this year's programme and what is coming up."""
    actions = {
        "started": ActionFactory(
            programme=programme, title="Prévention des TMS", status="in_progress", progress=50
        ),
        "started_too": ActionFactory(programme=programme, status="in_progress", progress=30),
        "planned": ActionFactory(programme=programme, status="planned"),
        "done": ActionFactory(programme=programme, status="completed", progress=100),
    }
    meetings = {
        "soon": _meeting(agreement, 10, title="Comité de pilotage de printemps"),
        "too_far": _meeting(agreement, 90, title="Rendez-vous d’automne"),
        "cancelled": _meeting(
            agreement, 5, title="Rendez-vous annulé", status=Meeting.Status.CANCELLED
        ),
        "past": _meeting(agreement, -10, title="Rendez-vous passé"),
    }
    tasks = {
        "overdue": FollowUpTaskFactory(
            meeting=meetings["past"],
            title="Envoyer le compte rendu",
            owner=anact_coordinator,
            due_on=_days(-2),
        ),
        "later": FollowUpTaskFactory(
            meeting=meetings["past"],
            title="Relancer l’INRS",
            owner=anact_coordinator,
            due_on=_days(12),
        ),
        "done": FollowUpTaskFactory(
            meeting=meetings["past"],
            title="Tâche faite",
            owner=anact_coordinator,
            done=True,
            done_on=_days(-1),
        ),
        "someone_else": FollowUpTaskFactory(
            meeting=meetings["past"], title="Tâche d’un autre", owner=inrs_reader
        ),
    }
    deliverables = {
        "soon": DeliverableFactory(
            action=actions["started"], title="Guide de prévention", due_on=_days(10)
        ),
        "overdue": DeliverableFactory(
            action=actions["started"], title="Rapport d’étape", due_on=_days(-5)
        ),
        "delivered": DeliverableFactory(
            action=actions["started"],
            title="Note livrée",
            due_on=_days(-5),
            delivered_on=_days(-6),
        ),
        "later": DeliverableFactory(
            action=actions["started"], title="Synthèse finale", due_on=_days(60)
        ),
        "of_cancelled_action": DeliverableFactory(
            action=ActionFactory(programme=programme, status="cancelled"),
            title="Livrable abandonné",
            due_on=_days(3),
        ),
    }
    agreements = {
        "ending": _signed_agreement(
            anact, inrs, reference="AC-FIN", starts_on=_days(-700), ends_on=_days(60)
        ),
        "notice": _signed_agreement(
            anact,
            reference="AC-PREAVIS",
            starts_on=_days(-700),
            ends_on=_days(150),
            notice_period_months=3,
            tacit_renewal=True,
        ),
        "far": _signed_agreement(
            anact,
            reference="AC-LOIN",
            starts_on=_days(-700),
            ends_on=_days(700),
            notice_period_months=3,
        ),
        "long_notice": _signed_agreement(
            anact,
            reference="AC-LONG-PREAVIS",
            starts_on=_days(-700),
            ends_on=_days(500),
            notice_period_months=12,
        ),
        "notice_passed": _signed_agreement(
            anact,
            reference="AC-PREAVIS-PASSE",
            starts_on=_days(-700),
            ends_on=_days(100),
            notice_period_months=6,
        ),
        "draft": _signed_agreement(
            anact,
            reference="AC-BROUILLON",
            status=Agreement.Status.DRAFT,
            signed_on=None,
            starts_on=_days(-700),
            ends_on=_days(30),
        ),
    }
    conventions = {
        "ending": ConventionFactory(
            agreement=agreement,
            title="Convention TMS",
            status="in_force",
            signed_on=_days(-300),
            starts_on=_days(-300),
            ends_on=_days(30),
        ),
        "later": ConventionFactory(
            agreement=agreement,
            title="Convention RPS",
            status="in_force",
            signed_on=_days(-300),
            starts_on=_days(-300),
            ends_on=_days(200),
        ),
    }
    return {
        "actions": actions,
        "meetings": meetings,
        "tasks": tasks,
        "deliverables": deliverables,
        "agreements": agreements,
        "conventions": conventions,
    }


def _dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_coordinator_sees_the_progress_of_this_years_programme(
    client, scene, programme, anact_coordinator
):
    response = _dashboard(client, anact_coordinator)
    [shown] = response.context["programmes"]
    assert shown == programme
    counts = {segment["status"]: segment["count"] for segment in shown.segments}
    assert counts == {
        "planned": 1,
        "in_progress": 2,
        "completed": 1,
        "postponed": 0,
        "cancelled": 1,
    }
    # Cancelled actions do not weigh on the average: (50 + 30 + 0 + 100) / 4.
    assert shown.progress_value == 45
    widths = {segment["status"]: segment["width"] for segment in shown.segments}
    assert widths["in_progress"] == "40.00"
    assert f'<progress id="progress-{programme.pk}"' in response.text
    assert 'class="bar-in_progress" x="20.00" y="0" width="40.00"' in response.text


def test_last_years_programme_is_not_on_the_dashboard(client, agreement, anact_coordinator):
    ProgrammeFactory(agreement=agreement, year=timezone.localdate().year - 1)
    assert _dashboard(client, anact_coordinator).context["programmes"] == []


def test_coordinator_sees_the_meetings_of_the_next_60_days(client, scene, anact_coordinator):
    response = _dashboard(client, anact_coordinator)
    assert response.context["meetings"] == [scene["meetings"]["soon"]]
    assert response.context["meeting_total"] == 1
    assert "AC-ANACT-INRS" in response.text


def test_my_open_tasks_come_by_due_date_with_the_overdue_flagged(client, scene, anact_coordinator):
    response = _dashboard(client, anact_coordinator)
    tasks = response.context["tasks"]
    assert tasks == [scene["tasks"]["overdue"], scene["tasks"]["later"]]
    assert [task.is_overdue for task in tasks] == [True, False]
    assert response.context["overdue_task_total"] == 1
    assert "Tâche d’un autre" not in response.text


def test_deliverables_due_within_30_days_and_overdue(client, scene, anact_coordinator):
    response = _dashboard(client, anact_coordinator)
    deliverables = scene["deliverables"]
    assert response.context["deliverables"] == [deliverables["overdue"], deliverables["soon"]]
    assert response.context["overdue_deliverable_total"] == 1
    assert response.context["deliverable_total"] == 2


def test_the_overdue_task_and_deliverable_carry_the_same_warning(client, scene, anact_coordinator):
    text = _dashboard(client, anact_coordinator).text
    # One for the task, one for the deliverable; the later ones carry none.
    assert text.count(OVERDUE_BADGE) == 2
    assert text.count("overdue-badge") == 4  # with the two sections' "1 en retard" counts


def test_agreements_and_conventions_nearing_their_end_or_notice_date(
    client, scene, anact_coordinator
):
    response = _dashboard(client, anact_coordinator)
    rows = {row["record"]: row for row in response.context["ending"]}
    agreements, conventions = scene["agreements"], scene["conventions"]
    assert set(rows) == {agreements["ending"], agreements["notice"], conventions["ending"]}
    assert rows[agreements["notice"]]["notice_soon"]
    assert not rows[agreements["notice"]]["end_soon"]
    assert rows[agreements["ending"]]["end_soon"]
    # By date: the convention ends in 30 days, the notice falls in about 60, the end in 60.
    assert response.context["ending"][0]["record"] == conventions["ending"]


def test_an_agreement_whose_notice_date_is_near_through_a_long_notice(
    client, anact, anact_coordinator
):
    agreement = _signed_agreement(
        anact,
        reference="AC-PREAVIS-LONG",
        starts_on=_days(-700),
        ends_on=_days(400),
        notice_period_months=11,
    )
    rows = _dashboard(client, anact_coordinator).context["ending"]
    assert [row["record"] for row in rows] == [agreement]
    assert rows[0]["notice_date"] == agreement.notice_date


def test_recent_changes_name_the_records_and_their_author(
    client, scene, programme, anact_coordinator
):
    action = scene["actions"]["planned"]
    action.title = "Étude prospective renommée"
    action._history_user = anact_coordinator
    action.save()
    response = _dashboard(client, anact_coordinator)
    changes = response.context["changes"]
    assert len(changes) == 15
    latest = changes[0]
    assert latest["record"] == action
    assert latest["type"] == "~"
    assert latest["author"] == anact_coordinator.get_full_name()
    assert str(latest["record"]) == "Étude prospective renommée"
    assert action.get_absolute_url() in response.text
    dates = [change["date"] for change in changes]
    assert dates == sorted(dates, reverse=True)


def test_recent_changes_of_every_kind_link_to_their_page(
    client, agreement, programme, anact_reader
):
    convention = ConventionFactory(agreement=agreement, title="Convention prospective")
    meeting = _meeting(agreement, 20, title="Rendez-vous de rentrée")
    action = ActionFactory(programme=programme, title="Publication commune")
    response = _dashboard(client, anact_reader)
    records = [change["record"] for change in response.context["changes"]]
    assert set(records) >= {agreement, programme, convention, meeting, action}
    for record in (agreement, programme, convention, meeting, action):
        assert record.get_absolute_url() in response.text
    assert str(convention) in response.text


def test_anact_coordinator_sees_nothing_of_an_agreement_they_are_no_party_to(
    client, scene, hidden, anact_coordinator
):
    response = _dashboard(client, anact_coordinator)
    assert "confidentiel" not in response.text.lower()
    assert "AC-INRS-CNAV" not in response.text
    assert all(p.agreement_id != hidden.pk for p in response.context["programmes"])


def test_outsider_sees_nothing_of_the_anact_inrs_agreement(client, scene, hidden, outsider):
    response = _dashboard(client, outsider)
    text = response.text
    for secret in (
        "AC-ANACT-INRS",
        "Prévention des TMS",
        "Comité de pilotage de printemps",
        "Guide de prévention",
        "Convention TMS",
        "AC-FIN",
    ):
        assert secret not in text
    # What the outsider's own agreement holds is there.
    assert [p.title for p in response.context["programmes"]] == ["Programme confidentiel"]
    assert [m.title for m in response.context["meetings"]] == ["Réunion confidentielle"]
    assert {str(row["record"]) for row in response.context["ending"]} == {
        str(hidden),
        str(hidden.conventions.get()),
    }
    assert "AC-ANACT-INRS" not in {
        getattr(change["record"], "reference", None) for change in response.context["changes"]
    }


def test_a_person_without_a_staff_profile_gets_an_empty_dashboard(client, scene, alice):
    response = _dashboard(client, alice)
    for section in ("programmes", "meetings", "tasks", "deliverables", "ending", "changes"):
        assert not response.context[section]


def test_the_dashboard_sections_link_to_their_full_lists(client, anact_reader):
    """The navigation bar, on every page, links to every list and holds the search box:
    what the dashboard adds is the link to the full list under a section it cuts short."""
    text = _dashboard(client, anact_reader).text
    assert f'action="{reverse("search")}"' in text

    def section(html_id):
        main = text.split("<main", 1)[1].split("</main>", 1)[0]
        return main.split(f'<section class="card mb-4" id="{html_id}"', 1)[1].split("</section>")[0]

    assert f'href="{reverse("meeting_list")}"' in section("meetings")
    assert f'href="{reverse("experimentations:experimentation_list")}"' in section(
        "stage-decisions"
    )


def test_the_dashboard_has_no_inline_style_or_script(client, scene, anact_coordinator):
    text = _dashboard(client, anact_coordinator).text
    assert "style=" not in text
    assert "<script>" not in text


@pytest.mark.parametrize("rows", [1, 30])
def test_dashboard_query_count_does_not_grow(
    client, agreement, programme, anact, inrs, anact_coordinator, django_assert_num_queries, rows
):
    meeting = _meeting(agreement, -3)
    for n in range(rows):
        action = ActionFactory(
            programme=programme, lead_organisation=anact, status="in_progress", progress=10
        )
        action.partners.add(inrs)
        DeliverableFactory(action=action, due_on=_days(n % 40 - 5))
        _meeting(agreement, 1 + n % 50)
        FollowUpTaskFactory(meeting=meeting, owner=anact_coordinator, due_on=_days(n - 3))
        ConventionFactory(
            agreement=agreement,
            status="in_force",
            signed_on=_days(-300),
            starts_on=_days(-300),
            ends_on=_days(1 + n % 80),
        )
        _signed_agreement(
            anact, OrganisationFactory(), starts_on=_days(-700), ends_on=_days(30 + n % 60)
        )
    ProgrammeFactory(agreement=_signed_agreement(inrs, anact), year=timezone.localdate().year)
    client.force_login(anact_coordinator)
    # session, user, staff profile; this year's programmes with their actions counted by
    # status; upcoming meetings; my open tasks; deliverables due; experimentations awaiting a
    # stage decision; agreements then conventions nearing their end; recent changes (one
    # UNION of five historical tables); the invitations their organisation has to answer;
    # the agreements whose programming of next year their organisation is invited to enter.
    # ... and the bell's unread count.
    with django_assert_num_queries(14):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert len(response.context["meetings"]) == min(rows, 20)
    assert response.context["task_total"] == rows


def test_dashboard_query_count_for_the_administrator(
    client, scene, administrator, django_assert_num_queries
):
    client.force_login(administrator)
    # The same queries, but no staff profile: a superuser sees everything (and answers every
    # invitation).
    # ... and the bell's unread count.
    with django_assert_num_queries(12):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert len(response.context["programmes"]) == 1


def test_cancelled_meetings_are_not_upcoming(client, agreement, anact_reader):
    _meeting(agreement, 4, title="Annulé", status=Meeting.Status.CANCELLED)
    assert _dashboard(client, anact_reader).context["meetings"] == []


def test_the_statuses_of_the_bar_follow_the_action_statuses(client, programme, anact_reader):
    ActionFactory(programme=programme, status=Action.Status.POSTPONED)
    [shown] = _dashboard(client, anact_reader).context["programmes"]
    assert [segment["status"] for segment in shown.segments] == list(Action.Status.values)
    assert shown.segments[3]["width"] == "100.00"


def test_recent_changes_are_the_latest_of_all_kinds_when_each_kind_has_many(
    client, agreement, programme, anact_reader
):
    """Each kind's branch reads only its latest entries: the merge must still be the
    latest fifteen of all (here actions and meetings interleave, 20 of each)."""
    for number in range(20):
        ActionFactory(programme=programme, title=f"Action {number}")
        _meeting(agreement, number + 1, title=f"Réunion {number}")
    entries = []
    for model in (Agreement, Action, Meeting):
        for entry in model.history.all():
            entries.append((entry.history_date, model, entry.id))
    entries.sort(key=lambda entry: entry[0], reverse=True)
    changes = _dashboard(client, anact_reader).context["changes"]
    assert [(type(c["record"]), c["record"].pk) for c in changes] == [
        (model, pk) for _, model, pk in entries[:15]
    ]
