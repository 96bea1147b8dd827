"""Working together: comments on a record's page, @mentions among the people who may see it,
following records, and each person's notifications (the bell and the notification page)."""

import copy
import re

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnership.agreements.services import party_invited, party_named
from partnership.discussion import services
from partnership.discussion.events import follows, notify
from partnership.meetings.services import meeting_approve_minutes
from partnership.models import AccessRequest, AgreementParty, Comment, Notification
from partnership.programmes.services import action_transition
from tests.factories import (
    ActionFactory,
    AgreementPartyFactory,
    DeliverableFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    UserFactory,
)
from tests.test_hostile_input import HOSTILE_VALUES

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(agreement, anact):
    return ActionFactory(programme=ProgrammeFactory(agreement=agreement), lead_organisation=anact)


@pytest.fixture
def other_action(outsider_organisation):
    """An action under an agreement Anact and INRS are not party to."""
    other = SignedAgreementFactory(reference="AC-CNAV")
    AgreementPartyFactory(agreement=other, organisation=outsider_organisation)
    return ActionFactory(
        programme=ProgrammeFactory(agreement=other), lead_organisation=outsider_organisation
    )


def _post_comment(client, action, body):
    return client.post(reverse("comment_create", args=["action", action.pk]), {"body": body})


def _bell_count(client, url_name="home"):
    page = client.get(reverse(url_name)).content.decode()
    found = re.search(r'class="badge rounded-pill text-bg-warning bell-count[^"]*">(\d+)', page)
    return int(found.group(1)) if found else 0


# The story of issue 16 ----------------------------------------------------------------


def test_a_mention_reaches_the_person_and_leaves_with_their_access(
    client, action, anact_contributor, inrs_coordinator, inrs
):
    client.force_login(anact_contributor)
    response = _post_comment(client, action, "Un avis, @inrs.coordinateur ?")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/actions/{action.pk}/#comment-{comment.pk}"

    client.force_login(inrs_coordinator)
    assert _bell_count(client) == 1
    page = client.get(reverse("notification_list")).content.decode()
    assert "mentionné dans un commentaire" in page or "mentioned you" in page
    notification = Notification.objects.get(recipient=inrs_coordinator)
    assert notification.kind == "mention"
    opened = client.post(reverse("notification_open", args=[notification.pk]))
    assert opened.url == f"/actions/{action.pk}/#comment-{comment.pk}"
    assert _bell_count(client) == 0
    landing = client.get(opened.url).content.decode()
    assert f'id="comment-{comment.pk}"' in landing

    # INRS stops being a party: the notification no longer shows, nor its text.
    AgreementParty.objects.filter(organisation=inrs).update(status="declined")
    Notification.objects.filter(pk=notification.pk).update(read_at=None)
    assert _bell_count(client) == 0
    page = client.get(reverse("notification_list")).content.decode()
    assert action.title not in page
    assert client.post(reverse("notification_open", args=[notification.pk])).status_code == 404


def test_a_notification_about_an_action_moved_away_no_longer_shows(
    client, action, other_action, anact_contributor, inrs_coordinator
):
    client.force_login(anact_contributor)
    _post_comment(client, action, "@inrs.coordinateur regarde")
    action.programme = other_action.programme
    action.save()
    client.force_login(inrs_coordinator)
    assert _bell_count(client) == 0
    assert action.title not in client.get(reverse("notification_list")).content.decode()


# Comments -----------------------------------------------------------------------------


def test_a_reader_comments_and_the_thread_shows_markdown_sanitised(client, action, anact_reader):
    client.force_login(anact_reader)
    _post_comment(client, action, "**Important** <script>alert(1)</script>")
    page = client.get(action.get_absolute_url()).content.decode()
    assert "<strong>Important</strong>" in page
    assert "<script>alert(1)" not in page


def test_a_comment_refused_comes_back_with_its_text(client, action, anact_reader):
    # Line breaks count twice on the server (CRLF) and once in the browser's maxlength: a text
    # the browser let through may still be too long here. It must not be lost.
    client.force_login(anact_reader)
    text = "Une remarque longue.\r\n" * 240  # 5,280 characters on the server
    response = _post_comment(client, action, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Une remarque longue." in page and "5000" in page
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", HOSTILE_VALUES)
def test_hostile_comments_are_kept_or_refused_never_half_saved(client, action, anact_reader, body):
    client.force_login(anact_reader)
    response = _post_comment(client, action, body)
    if response.status_code == 302:
        assert Comment.objects.get().body.strip()
    else:
        assert response.status_code == 400
        assert not Comment.objects.exists()


def test_an_outsider_can_neither_read_nor_write_the_thread(client, action, outsider):
    client.force_login(outsider)
    assert _post_comment(client, action, "intrusion").status_code == 404
    candidates = reverse("mention_candidates", args=["action", action.pk])
    assert client.get(candidates).status_code == 404
    assert not Comment.objects.exists()


def test_the_author_edits_their_comment_and_the_thread_says_edited(
    client, action, anact_contributor, inrs_contributor
):
    comment = services.comment_create(target=action, author=anact_contributor, body="Premier")
    client.force_login(inrs_contributor)
    url = reverse("comment_edit", args=[comment.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "pirate", "version": comment.version}).status_code == 403
    client.force_login(anact_contributor)
    response = client.post(url, {"body": "Second", "version": comment.version})
    assert response.status_code == 302
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Second" in page
    assert "modifié" in page


def test_an_edit_from_an_old_version_is_refused(client, action, anact_contributor):
    comment = services.comment_create(target=action, author=anact_contributor, body="Premier")
    old = comment.version
    services.comment_edit(comment=comment, user=anact_contributor, body="Ailleurs")
    client.force_login(anact_contributor)
    response = client.post(
        reverse("comment_edit", args=[comment.pk]), {"body": "Ici", "version": old}
    )
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.body == "Ailleurs"


def test_a_deleted_comment_leaves_the_thread_and_stays_in_the_history(
    client, action, anact_contributor, anact_reader
):
    comment = services.comment_create(target=action, author=anact_contributor, body="A effacer")
    client.force_login(anact_reader)
    assert client.post(reverse("comment_delete", args=[comment.pk])).status_code == 403
    client.force_login(anact_contributor)
    assert client.post(reverse("comment_delete", args=[comment.pk])).status_code == 302
    assert not Comment.objects.exists()
    deleted = Comment.history.get(history_type="-")
    assert deleted.body == "A effacer"
    assert deleted.history_user == anact_contributor


def test_a_coordinator_hides_a_comment(
    client, action, anact_contributor, inrs_coordinator, anact_reader
):
    comment = services.comment_create(target=action, author=anact_contributor, body="Déplacé")
    client.force_login(anact_reader)
    assert client.post(reverse("comment_hide", args=[comment.pk])).status_code == 403
    client.force_login(inrs_coordinator)
    assert client.post(reverse("comment_hide", args=[comment.pk])).status_code == 302
    page = client.get(action.get_absolute_url()).content.decode()
    assert "Déplacé" not in page
    assert "Commentaire masqué par" in page
    # Its author no longer edits it.
    client.force_login(anact_contributor)
    assert client.get(reverse("comment_edit", args=[comment.pk])).status_code == 403


# Mentions -----------------------------------------------------------------------------


def test_mention_candidates_are_only_people_who_see_the_record(
    client, action, other_action, anact_contributor, inrs_coordinator, outsider
):
    client.force_login(anact_contributor)
    url = reverse("mention_candidates", args=["action", action.pk])
    names = {row["username"] for row in client.get(url, {"q": ""}).json()["results"]}
    assert names == {"anact.contributeur", "inrs.coordinateur"}
    assert client.get(url, {"q": "cnav"}).json()["results"] == []
    # Asking for another agreement's people: that action is out of scope.
    other = reverse("mention_candidates", args=["action", other_action.pk])
    assert client.get(other, {"q": "c"}).status_code == 404


def test_naming_someone_who_may_not_see_the_record_tells_nobody(
    action, anact_contributor, outsider
):
    services.comment_create(target=action, author=anact_contributor, body="@cnav.coordinateur")
    assert not Notification.objects.filter(recipient=outsider).exists()


# Following ----------------------------------------------------------------------------


def test_following_a_record_from_its_page(client, action, inrs_reader, anact_contributor):
    client.force_login(inrs_reader)
    follow_url = reverse("follow", args=["action", action.pk])
    assert "Suivre" in client.get(action.get_absolute_url()).content.decode()
    client.post(follow_url, {"following": "1"})
    assert follows(inrs_reader, action)
    action_transition(action=action, user=anact_contributor, name="start")
    assert Notification.objects.filter(recipient=inrs_reader, kind="status_changed").count() == 1
    client.post(follow_url, {"following": "0"})
    assert not follows(inrs_reader, action)


def test_commenters_and_contacts_follow_on_their_own_and_may_stop(
    client, action, anact_contributor, inrs_contributor, anact_reader
):
    action.contacts.create(organisation=anact_contributor.profile.organisation, user=anact_reader)
    services.comment_create(target=action, author=inrs_contributor, body="Je participe")
    assert follows(inrs_contributor, action)
    assert follows(anact_reader, action)
    services.follow_set(user=anact_reader, target=action, following=False)
    assert not follows(anact_reader, action)
    second = services.comment_create(target=action, author=anact_contributor, body="Nouveau")
    told = set(Notification.objects.filter(comment=second).values_list("recipient", flat=True))
    assert told == {inrs_contributor.pk}


def test_following_is_out_of_scope_for_an_outsider(client, action, outsider):
    client.force_login(outsider)
    url = reverse("follow", args=["action", action.pk])
    assert client.post(url, {"following": "1"}).status_code == 404


def test_notify_chooses_people_in_one_query_and_creates_in_one(
    action, anact_contributor, inrs_reader, django_assert_num_queries
):
    services.follow_set(user=inrs_reader, target=action, following=True)
    # Who is told; how each wants it (their preferences); the notifications, in one insert.
    with django_assert_num_queries(3):
        created = notify("status_changed", action, anact_contributor)
    assert [n.recipient_id for n in created] == [inrs_reader.pk]


# The bell and the notification page ---------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("url_name", ["home", "action_list"])
def test_the_bell_adds_one_query_to_a_page(client, settings, action, inrs_coordinator, url_name):
    notify("status_changed", action, None, [inrs_coordinator])
    client.force_login(inrs_coordinator)
    url = reverse(url_name)
    _queries(client, url)  # caches warmed
    with_bell = _queries(client, url)
    templates = copy.deepcopy(settings.TEMPLATES)
    options = templates[0]["OPTIONS"]
    options["context_processors"] = [
        name for name in options["context_processors"] if not name.endswith(".bell")
    ]
    settings.TEMPLATES = templates
    without_bell = _queries(client, url)
    assert len(with_bell) == len(without_bell) + 1
    assert sum("partnership_notification" in sql for sql in with_bell) == 1


def test_the_bell_reads_one_column_for_what_the_person_may_see(client, action, inrs_coordinator):
    """The bell's count checks the agreement copied into each notification (``within``), not a
    path through every kind of record: that query cost PostgreSQL 30 ms of planning on every
    page at the benchmark's scale."""
    notify("status_changed", action, None, [inrs_coordinator])
    client.force_login(inrs_coordinator)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("about"))
    (bell,) = [query["sql"] for query in queries if "partnership_notification" in query["sql"]]
    assert "within_id" in bell
    for table in ("partnership_action", "partnership_deliverable", "conventions_convention"):
        assert table not in bell


def test_each_way_of_making_a_notification_records_its_agreement(
    action, agreement, inrs_coordinator
):
    deliverable = DeliverableFactory(action=action)
    task = FollowUpTaskFactory(meeting=MeetingFactory(agreement=agreement))
    made = [
        Notification.objects.create(recipient=inrs_coordinator, kind="comment", action=action),
        *Notification.objects.bulk_create(
            [
                Notification(recipient=inrs_coordinator, kind="comment", deliverable=deliverable),
                Notification(recipient=inrs_coordinator, kind="task_done", follow_up_task=task),
                Notification(
                    recipient=inrs_coordinator, kind="party_invitation", agreement=agreement
                ),
            ]
        ),
    ]
    made += notify("status_changed", action, None, [inrs_coordinator], to_followers=False)
    assert Notification.objects.filter(within=agreement).count() == len(made) == 5
    assert made[0].within == agreement  # read from the database when asked for


def test_notifications_follow_a_programme_moved_to_another_agreement(
    client, action, other_action, inrs_coordinator, anact_contributor
):
    """The back office may move a programme: the notifications about what hangs from it, down
    to its actions' deliverables, move with it."""
    deliverable = DeliverableFactory(action=action)
    notify("status_changed", deliverable, anact_contributor, [inrs_coordinator])
    notify("status_changed", action, anact_contributor, [inrs_coordinator])
    client.force_login(inrs_coordinator)
    assert _bell_count(client) == 2
    programme = type(action.programme).objects.get(pk=action.programme_id)
    programme.agreement, programme.year = other_action.programme.agreement, 2099
    programme.save()
    assert set(Notification.objects.values_list("within", flat=True)) == {programme.agreement_id}
    assert _bell_count(client) == 0
    programme.agreement = action.programme.agreement
    programme.save()
    assert _bell_count(client) == 2


def _notifications(action, person, count):
    Notification.objects.bulk_create(
        Notification(recipient=person, kind="comment", action=action) for _ in range(count)
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_notification_page_costs_the_same_whatever_its_rows(
    client, action, inrs_coordinator, rows, django_assert_num_queries
):
    _notifications(action, inrs_coordinator, rows)
    client.force_login(inrs_coordinator)
    client.get(reverse("notification_list"))
    # session, user, profile; the bell's count; the page's count, its notifications, and
    # the actions they are about (one query for each kind of record on the page).
    with django_assert_num_queries(7) as queries:
        response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(rows, 25)
    # The query choosing the notifications joins none of the tables of what they are about:
    # joined there, a dozen tables cost PostgreSQL 35 ms of planning at the benchmark's scale.
    (chosen,) = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT "partnership_notification"."id"')
    ]
    for table in ("partnership_action", "partnership_deliverable", "conventions_convention"):
        assert table not in chosen


def test_filtering_and_marking_read(client, action, inrs_coordinator, anact_contributor):
    notify("status_changed", action, anact_contributor, [inrs_coordinator], to_followers=False)
    notify("comment", action, anact_contributor, [inrs_coordinator], to_followers=False)
    client.force_login(inrs_coordinator)
    page = client.get(reverse("notification_list"), {"type": "comment"}).content.decode()
    assert "a commenté" in page
    assert "a changé le statut" not in page
    one = Notification.objects.get(kind="comment")
    client.post(reverse("notification_read", args=[one.pk]))
    assert _bell_count(client) == 1
    unread = client.get(reverse("notification_list"), {"non-lues": "1"}).content.decode()
    assert "a commenté" not in unread
    client.post(reverse("notification_read_all"))
    assert _bell_count(client) == 0


def test_marking_read_needs_a_post(client, inrs_coordinator):
    client.force_login(inrs_coordinator)
    assert client.get(reverse("notification_read_all")).status_code == 405


def test_someone_elses_notification_cannot_be_opened(
    client, action, inrs_coordinator, anact_reader
):
    notify("status_changed", action, None, [inrs_coordinator])
    client.force_login(anact_reader)
    notification = Notification.objects.get()
    assert client.post(reverse("notification_open", args=[notification.pk])).status_code == 404
    client.post(reverse("notification_read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is None


# An invitation to become a party --------------------------------------------------------


def test_an_invitation_reaches_the_invited_coordinators_until_answered(
    client, agreement, anact_coordinator, outsider, outsider_organisation
):
    party = party_named(
        AgreementParty(agreement=agreement, organisation=outsider_organisation), anact_coordinator
    )
    party.save()
    party_invited(party, anact_coordinator)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind) == (outsider, "party_invitation")
    client.force_login(outsider)
    assert _bell_count(client) == 1
    opened = client.post(reverse("notification_open", args=[notification.pk]))
    assert opened.url == "/#invitations"
    party.status = "declined"
    party.save()
    Notification.objects.update(read_at=None)
    assert _bell_count(client) == 0


# Events told by the services ------------------------------------------


def test_approved_minutes_tell_the_participants_with_an_account(
    agreement, anact_coordinator, inrs_contributor
):
    meeting = MeetingFactory(agreement=agreement, status="held", minutes="Relevé de décisions")
    meeting.participants.create(user=inrs_contributor)
    meeting_approve_minutes(meeting=meeting, user=anact_coordinator)
    notification = Notification.objects.get()
    assert (notification.kind, notification.recipient) == ("minutes_approved", inrs_contributor)


def test_a_request_to_join_is_seen_by_the_organisation_coordinators_only(
    client, anact, anact_coordinator, anact_reader, inrs_coordinator
):
    waiting = UserFactory(username="en.attente", is_active=False)
    request = AccessRequest.objects.create(user=waiting, organisation=anact)
    notify(
        "access_request",
        request,
        recipients=Q(pk__in=[anact_coordinator.pk, anact_reader.pk, inrs_coordinator.pk]),
    )
    assert list(Notification.objects.values_list("recipient", flat=True)) == [anact_coordinator.pk]
    client.force_login(anact_coordinator)
    assert _bell_count(client) == 1


def test_the_bell_counts_the_same_whether_or_not_the_page_read_the_profile(
    client,
    action,
    other_action,
    agreement,
    anact,
    inrs,
    anact_coordinator,
    anact_reader,
    inrs_coordinator,
    inrs_contributor,
    outsider,
    outsider_organisation,
    administrator,
):
    """The bell asks the rule on the person's profile when the page read it (the dashboard),
    else on the recipient in SQL (the About page): both count what the notification page
    lists, for every kind of notification and person, lost access included."""
    deliverable = DeliverableFactory(action=action)
    request = AccessRequest.objects.create(
        user=UserFactory(username="en.attente", is_active=False), organisation=anact
    )
    party = AgreementParty.objects.create(
        agreement=agreement, organisation=outsider_organisation, status="invited"
    )
    people = [anact_coordinator, anact_reader, inrs_coordinator, inrs_contributor, outsider]
    people.append(administrator)
    for person in people:
        for field, record in (
            ("action", action),
            ("deliverable", deliverable),
            ("action", other_action),
            ("agreement", agreement),
            ("access_request", request),
        ):
            Notification.objects.create(recipient=person, kind="status_changed", **{field: record})
        Notification.objects.create(recipient=person, kind="party_invitation", agreement=agreement)
    AgreementParty.objects.filter(agreement=agreement, organisation=inrs).update(status="declined")
    counted = {}
    for person in people:
        client.force_login(person)
        listed = client.get(reverse("notification_list")).context["paginator"].count
        assert _bell_count(client, "home") == _bell_count(client, "about") == listed, person
        counted[person.username] = listed
    # Anact's coordinator: its action, deliverable, agreement (both notifications) and access
    # request; INRS, which declined: nothing; the administrator: all six.
    assert counted[anact_coordinator.username] == 5
    assert counted[inrs_coordinator.username] == 0
    assert counted[administrator.username] == 6
    assert party.pk


def test_the_bell_counts_up_to_99_plus(client, action, inrs_coordinator):
    _notifications(action, inrs_coordinator, 120)
    client.force_login(inrs_coordinator)
    assert 'bell-count ms-1">99+<' in client.get(reverse("home")).content.decode()
