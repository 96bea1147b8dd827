"""The demonstration data: the seed situation, loaded once, with its demo accounts."""

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conventions.models import Amendment, Commitment, Convention
from experimentations.models import Experimentation, ExperimentationPartner
from partnership.demo import data as demo
from partnership.documents.models import Document
from partnership.models import (
    Action,
    ActionContact,
    ActionReview,
    Agreement,
    Deliverable,
    FollowUpTask,
    Meeting,
    Organisation,
    Programme,
    ProgrammeApproval,
    StaffProfile,
    Theme,
)
from tests import clock

OUR_APPS = ("partnership", "conventions", "experimentations")


def load_demo(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.fixture
def loaded(db):
    load_demo("--quiet")
    return Agreement.objects.get(reference=demo.AGREEMENT_REFERENCE)


@pytest.fixture
def today():
    return timezone.localdate()


def test_demo_brings_anact_inrs_the_aract_network_and_the_partner_bodies(loaded):
    acronyms = set(Organisation.objects.values_list("acronym", flat=True))
    assert {"Anact", "INRS", "Cnav", "CNAMTS", "INCa"} <= acronyms
    anact = Organisation.objects.get(acronym="Anact")
    aract = Organisation.objects.filter(kind=Organisation.Kind.REGIONAL_ASSOCIATION)
    assert aract.count() >= 5
    assert all(organisation.parent == anact for organisation in aract)
    assert set(Theme.objects.values_list("code", flat=True)) >= {
        "tms",
        "rps",
        "prospective",
        "qvt",
        "mce",
        "usure",
    }


def test_framework_agreement_is_signed_by_anact_and_inrs_with_its_governance(loaded, today):
    agreement = loaded
    assert agreement.status == Agreement.Status.SIGNED
    assert agreement.in_force_on(today)
    parties = set(agreement.parties.values_list("organisation__acronym", flat=True))
    assert parties == {"Anact", "INRS"}
    assert agreement.steering_committee
    assert agreement.meeting_frequency == Agreement.MeetingFrequency.QUARTERLY


def test_two_years_of_joint_programme_last_one_closed_this_one_adopted(loaded, today):
    previous = Programme.objects.get(agreement=loaded, year=today.year - 1)
    current = Programme.objects.get(agreement=loaded, year=today.year)
    assert previous.status == Programme.Status.CLOSED
    assert previous.review
    assert current.status == Programme.Status.ADOPTED
    assert current.adopted_at.status == Meeting.Status.MINUTES_APPROVED
    assert current.adopted_on < today
    assert current.actions.filter(continues__programme=previous).count() >= 2


def test_every_kind_of_action_and_every_status_of_this_year(loaded, today):
    actions = Action.objects.filter(programme__agreement=loaded)
    assert set(actions.values_list("kind", flat=True)) == set(Action.Kind.values)
    current = actions.filter(programme__year=today.year)
    assert set(current.values_list("status", flat=True)) == set(Action.Status.values)
    assert current.filter(status=Action.Status.IN_PROGRESS, progress__gt=0).exists()


def test_working_group_le_travail_dans_40_ans_has_members(loaded, today):
    group = Action.objects.get(
        programme__year=today.year,
        kind=Action.Kind.WORKING_GROUP,
        title__contains="Le travail dans 40 ans",
    )
    assert group.contacts.filter(role=ActionContact.Role.MEMBER).count() >= 4
    assert group.meetings.filter(kind=Meeting.Kind.WORKING_GROUP).exists()


def test_deliverables_delivered_due_within_a_month_and_overdue(loaded, today):
    deliverables = Deliverable.objects.filter(action__programme__agreement=loaded)
    assert deliverables.filter(delivered_on__isnull=False).exists()
    due_soon = deliverables.filter(
        delivered_on=None, due_on__gte=today, due_on__lte=today + datetime.timedelta(days=30)
    )
    assert due_soon.count() >= 2
    assert deliverables.filter(delivered_on=None, due_on__lt=today).count() >= 2


def test_conventions_annexed_for_themes_with_commitments_and_an_amendment(loaded, today):
    conventions = Convention.objects.filter(agreement=loaded)
    assert list(conventions.values_list("annex_number", flat=True)) == [1, 2, 3]
    assert {c.theme.code for c in conventions} >= {"tms", "prospective"}
    evaluation = conventions.get(title__contains="TMS et des RPS")
    assert evaluation.status == Convention.Status.IN_FORCE
    assert evaluation.commitments.count() == 2
    assert Amendment.objects.get(convention=evaluation).number == 1
    assert today < evaluation.ends_on <= today + datetime.timedelta(days=90)
    assert not any(c.date_warnings() for c in conventions)
    third_parties = [p for c in conventions for p in c.parties.all() if p.is_third_party]
    assert [str(p) for p in third_parties] == ["INCa"]
    assert Commitment.objects.filter(convention__agreement=loaded).count() >= 6


def test_review_meetings_held_with_minutes_decisions_and_follow_ups(loaded, today):
    meetings = Meeting.objects.filter(agreement=loaded)
    approved = meetings.filter(status=Meeting.Status.MINUTES_APPROVED)
    assert approved.count() >= 5
    for meeting in approved:
        assert meeting.starts_at < timezone.now()
        assert meeting.minutes
        assert meeting.minutes_approved_on <= today
        assert meeting.decisions.exists()
        assert meeting.agenda_items.exists()
    reviews = ActionReview.objects.filter(meeting__agreement=loaded)
    assert reviews.filter(action__programme__year=today.year).count() >= 10
    open_tasks = FollowUpTask.objects.open().filter(meeting__agreement=loaded)
    owners = set(open_tasks.values_list("owner__username", flat=True))
    assert {"anact.contributeur", "anact.coordinateur", "inrs.coordinateur"} <= owners
    assert open_tasks.filter(due_on__lt=today).exists()


def test_an_upcoming_review_meeting_has_participants_and_an_agenda(loaded, today):
    upcoming = Meeting.objects.get(agreement=loaded, status=Meeting.Status.PLANNED)
    assert upcoming.starts_at > timezone.now()
    assert upcoming.participants.count() >= 4
    ongoing = Action.objects.filter(programme__year=today.year).ongoing()
    on_agenda = set(upcoming.agenda_items.values_list("action", flat=True))
    assert set(ongoing.values_list("pk", flat=True)) <= on_agenda
    assert upcoming.agenda_items.filter(follow_up__done=False).exists()


def test_an_agreement_notice_date_falls_within_three_months(loaded, today):
    soon = {
        agreement.reference
        for agreement in Agreement.objects.all()
        if today <= agreement.notice_date <= today + datetime.timedelta(days=90)
    }
    # The home care agreement's notice date is always two to three months away; on the last
    # days of December the chronic illness agreement's (30 March) is as well.
    assert demo.HOME_CARE_REFERENCE in soon
    assert soon <= {demo.HOME_CARE_REFERENCE, demo.CHRONIC_ILLNESS_REFERENCE}
    if demo.CHRONIC_ILLNESS_REFERENCE in soon:
        assert (today.month, today.day) >= (12, 30)


def test_home_care_and_chronic_illness_experimentations(loaded):
    home_care = Experimentation.objects.get(sector="home_care")
    partners = set(home_care.partners.values_list("organisation__acronym", flat=True))
    assert {"Cnav", "CNAMTS", "Anact"} <= partners
    assert home_care.status == Experimentation.Phase.EXTENSION
    assert home_care.companies.count() >= 5
    assert home_care.evaluation.findings

    chronic = Experimentation.objects.get(title__contains="maladie chronique évolutive")
    regional = chronic.partners.filter(level=ExperimentationPartner.Level.REGIONAL)
    assert regional.count() == 5
    assert chronic.partners.filter(organisation__acronym="INCa").exists()
    assert chronic.territories.count() == 5
    assert chronic.companies.count() >= 5
    assert chronic.status == Experimentation.Phase.EVALUATION
    assert chronic.evaluation.criteria


@pytest.mark.parametrize(
    ("username", "organisation", "role"),
    [
        ("anact.lecteur", "Anact", StaffProfile.Role.READER),
        ("anact.contributeur", "Anact", StaffProfile.Role.CONTRIBUTOR),
        ("anact.coordinateur", "Anact", StaffProfile.Role.COORDINATOR),
        ("inrs.lecteur", "INRS", StaffProfile.Role.READER),
        ("inrs.contributeur", "INRS", StaffProfile.Role.CONTRIBUTOR),
        ("inrs.coordinateur", "INRS", StaffProfile.Role.COORDINATOR),
        ("admin", "Anact", StaffProfile.Role.ADMINISTRATOR),
    ],
)
def test_demo_account_with_its_organisation_role_and_the_shared_password(
    loaded, username, organisation, role
):
    user = get_user_model().objects.get(username=username)
    assert user.check_password(demo.DEMO_PASSWORD)
    assert user.get_full_name()
    assert user.email.endswith(".example")
    assert user.profile.organisation.acronym == organisation
    assert user.profile.role == role
    assert user.profile.job_title
    assert user.is_superuser == user.is_staff == (username == "admin")


def test_the_command_prints_the_address_and_every_account(db, monkeypatch):
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    out = load_demo()
    assert "http://127.0.0.1:8000/" in out
    for spec in demo.ACCOUNTS:
        assert spec.username in out
    assert demo.DEMO_PASSWORD in out
    assert "INRS" in out


def test_the_address_printed_is_the_one_the_server_uses(loaded, monkeypatch):
    # make run passes its own; run by hand, the command reads HOST and PORT as make does.
    assert "Adresse : http://127.0.0.1:8123/\n" in load_demo("--address", "http://127.0.0.1:8123/")
    monkeypatch.setenv("PORT", "8042")
    monkeypatch.delenv("HOST", raising=False)
    assert "Adresse : http://127.0.0.1:8042/\n" in load_demo()
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert "Adresse : http://0.0.0.0:8042/\n" in load_demo()


def test_quiet_prints_nothing(db):
    assert load_demo("--quiet") == ""


def test_a_second_run_adds_nothing_anywhere(loaded):
    before = counts()
    out = load_demo()
    assert counts() == before
    assert "rien n’a été modifié" in out


def test_a_second_run_keeps_what_people_changed(loaded):
    reader = get_user_model().objects.get(username="anact.lecteur")
    reader.set_password("un-mot-de-passe-personnel")
    reader.save()
    loaded.title = "Accord-cadre Anact–INRS (version révisée)"
    loaded.save()
    StaffProfile.objects.filter(user__username="inrs.lecteur").update(
        role=StaffProfile.Role.CONTRIBUTOR
    )

    out = load_demo()

    reader.refresh_from_db()
    assert reader.check_password("un-mot-de-passe-personnel")
    assert "(modifié)" in out
    loaded.refresh_from_db()
    assert loaded.title == "Accord-cadre Anact–INRS (version révisée)"
    profile = StaffProfile.objects.get(user__username="inrs.lecteur")
    assert profile.role == StaffProfile.Role.CONTRIBUTOR


def test_a_deleted_demo_account_comes_back_without_reloading_the_data(loaded):
    get_user_model().objects.filter(username="inrs.lecteur").delete()
    actions = Action.objects.count()

    load_demo("--quiet")

    user = get_user_model().objects.get(username="inrs.lecteur")
    assert user.profile.organisation.acronym == "INRS"
    assert user.check_password(demo.DEMO_PASSWORD)
    assert Action.objects.count() == actions
    assert Organisation.objects.filter(acronym="INRS").count() == 1


def test_every_record_passes_full_clean(loaded):
    checked = 0
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            for instance in model._default_manager.all():
                instance.full_clean()
                checked += 1
    for user in get_user_model().objects.all():
        user.full_clean()
    assert checked > 300


def test_every_change_is_signed_by_the_demo_administrator(loaded):
    """Except the programmes' approvals, and the adoption the last of them brings."""
    admin = get_user_model().objects.get(username="admin")
    approvers = set(ProgrammeApproval.objects.values_list("approved_by", flat=True))
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if hasattr(model, "history_user") and model.__name__.startswith("Historical"):
                signed = model.objects.exclude(history_user=admin)
                if model.instance_type in (Programme, ProgrammeApproval):
                    signed = signed.exclude(history_user__in=approvers)
                assert not signed.exists(), model.__name__


def test_each_party_approves_the_programmes_for_itself(loaded):
    approvals = ProgrammeApproval.objects.select_related("approved_by__profile", "organisation")
    assert approvals.count() >= 4
    for approval in approvals:
        assert approval.approved_by.profile.organisation == approval.organisation
        assert approval.approved_by.profile.role == "coordinator"
    assert {approval.approved_by.username for approval in approvals} == {
        "anact.coordinateur",
        "inrs.coordinateur",
    }


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2027, 1, 1, 8, 0),
        datetime.datetime(2027, 2, 28, 18, 0),
        datetime.datetime(2028, 2, 29, 12, 0),
        datetime.datetime(2027, 7, 14, 12, 0),
        datetime.datetime(2027, 12, 31, 22, 0),
    ],
    ids=str,
)
def test_the_demo_loads_on_any_day_of_the_year(db, time_machine, moment):
    """The dates are relative to today: the rules of the services hold whatever the day."""
    frozen = clock.freeze(time_machine, moment.date(), hour=moment.hour)
    load_demo("--quiet")
    current = Programme.objects.get(agreement__reference=demo.AGREEMENT_REFERENCE, year=moment.year)
    assert timezone.localdate() == moment.date()
    assert current.status == Programme.Status.ADOPTED
    upcoming = Meeting.objects.get(status=Meeting.Status.PLANNED)
    assert upcoming.starts_at > frozen
    held = Meeting.objects.exclude(status__in=[Meeting.Status.PLANNED, Meeting.Status.CANCELLED])
    assert held
    assert all(meeting.starts_at < frozen for meeting in held)


def test_the_agreement_a_convention_and_a_meeting_carry_sample_documents(loaded, client):
    documents = Document.objects.select_related("agreement", "convention", "meeting")
    assert {document.kind for document in documents} >= {"signed_text", "minutes"}
    assert documents.filter(agreement=loaded).exists()
    assert documents.filter(convention__agreement=loaded).exists()
    meeting_document = documents.get(meeting__agreement=loaded)
    assert meeting_document.meeting.status == Meeting.Status.MINUTES_APPROVED

    client.force_login(get_user_model().objects.get(username="inrs.lecteur"))
    for document in documents:
        # Stored and described as an uploaded PDF, and downloaded through the scoped view.
        assert document.content_type == "application/pdf"
        assert document.original_name.endswith(".pdf")
        response = client.get(reverse("document_download", args=[document.pk]))
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert len(content) == document.size
        assert document.title in client.get(document.attached_to.get_absolute_url()).text
