"""The back office, as an administrator uses it.

Every registered admin opens (list, search, add, change, history); a change list costs the same
number of queries for 5 rows as for 50; lifecycle transitions run as admin actions through the
services and say what they did or why they refused; conventions and amendments get their
numbers from the services, never from the person typing.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import MultiWidget
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from conventions.models import Amendment, Commitment, Convention, ConventionParty
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Territory,
)
from partnership.models import (
    Action,
    ActionContact,
    ActionResource,
    ActionReview,
    AgendaItem,
    Agreement,
    AgreementParty,
    Contact,
    Decision,
    Deliverable,
    Document,
    FollowUpTask,
    Meeting,
    Organisation,
    Participant,
    Programme,
    Region,
    StaffProfile,
    Theme,
)
from tests import factories as f

User = get_user_model()

# django-axes' own admin (lock-outs, read-only) is tested in tests/test_login_hardening.py,
# django-tasks-db's (the task results, read-only) in tests/test_delivery.py.
REGISTERED = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label not in ("axes", "django_tasks_database")
    ),
    key=lambda model: model._meta.label,
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def french(message):
    """A service's message as the French back office shows it."""
    with translation.override("fr"):
        return gettext(message)


def messages_of(response):
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def form_data(response):
    """What the browser would send back: the page's form and its inline forms as they stand."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False or isinstance(value, File):
                continue  # nothing typed, an unticked box, or a file already uploaded
            widget = field.field.widget
            if isinstance(widget, MultiWidget):  # date and time of a datetime, typed apart
                for suffix, part in zip(
                    widget.widgets_names, widget.decompress(value), strict=True
                ):
                    data[field.html_name + suffix] = part
            else:
                data[field.html_name] = "on" if value is True else value
    return data


# A realistic dataset: one record at least of every model -----------------------------


@pytest.fixture
def dataset(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    anact = f.OrganisationFactory(
        name="Agence nationale pour l’amélioration des conditions de travail",
        acronym="Anact",
        kind=Organisation.Kind.NATIONAL_AGENCY,
    )
    inrs = f.OrganisationFactory(
        name="Institut national de recherche et de sécurité",
        acronym="INRS",
        kind=Organisation.Kind.NATIONAL_AGENCY,
    )
    aract = f.OrganisationFactory(
        name="Aract Auvergne-Rhône-Alpes",
        acronym="Aract ARA",
        kind=Organisation.Kind.REGIONAL_ASSOCIATION,
        parent=anact,
        region=Region.ARA,
    )
    coordinator = f.StaffProfileFactory(
        user=f.UserFactory(username="claire.coordinatrice"),
        organisation=anact,
        role=StaffProfile.Role.COORDINATOR,
    ).user
    expert = f.ContactFactory(organisation=inrs, last_name="Durand")
    tms = f.ThemeFactory(code="tms", name="Troubles musculo-squelettiques")

    agreement = f.SignedAgreementFactory(
        reference="AC-ANACT-INRS", title="Accord-cadre de partenariat Anact – INRS"
    )
    f.AgreementPartyFactory(agreement=agreement, organisation=anact)
    f.AgreementPartyFactory(agreement=agreement, organisation=inrs)
    programme = f.ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")

    convention = f.ConventionFactory(
        agreement=agreement,
        theme=tms,
        annex_number=1,
        title="Convention TMS",
        status=Convention.Status.SIGNED,
        signed_on=datetime.date(2025, 1, 10),
    )
    f.ConventionPartyFactory(convention=convention, organisation=anact)
    f.ConventionPartyFactory(convention=convention, organisation=aract)
    f.CommitmentFactory(convention=convention, organisation=inrs)
    amendment = Amendment.objects.create(
        convention=convention,
        number=1,
        signed_on=datetime.date(2025, 6, 1),
        summary="Prolongation d’un an.",
    )

    action = f.ActionFactory(
        programme=programme,
        title="Guide TMS pour les PME",
        kind=Action.Kind.PUBLICATION,
        theme=tms,
        lead_organisation=anact,
        convention=convention,
    )
    action.partners.add(inrs)
    ActionContact.objects.create(action=action, organisation=anact, user=coordinator)
    ActionContact.objects.create(action=action, organisation=inrs, contact=expert)
    f.ActionResourceFactory(action=action, organisation=inrs)
    deliverable = f.DeliverableFactory(action=action, title="Guide publié")

    meeting = f.MeetingFactory(agreement=agreement, title="Comité de pilotage")
    f.ParticipantFactory(meeting=meeting, user=coordinator, role=Participant.Role.CHAIR)
    Participant.objects.create(meeting=meeting, contact=expert)
    item = f.AgendaItemFactory(meeting=meeting, title="Point sur le guide", action=action)
    f.DecisionFactory(meeting=meeting, agenda_item=item)
    f.FollowUpTaskFactory(meeting=meeting, owner=coordinator)
    f.ActionReviewFactory(action=action, meeting=meeting, recorded_by=coordinator)

    signed_text = Document.objects.create(
        title="Accord signé",
        kind=Document.Kind.SIGNED_TEXT,
        file=SimpleUploadedFile("accord.pdf", b"%PDF-1.4 accord"),
        agreement=agreement,
    )
    for attachment in (
        {"convention": convention},
        {"amendment": amendment},
        {"meeting": meeting},
        {"deliverable": deliverable},
    ):
        Document.objects.create(title="Pièce jointe", file="documents/piece.pdf", **attachment)

    experimentation = f.ExperimentationFactory(
        agreement=agreement, convention=convention, title="Aide à domicile"
    )
    f.ExperimentationPartnerFactory(
        experimentation=experimentation, organisation=anact, is_lead=True
    )
    f.ExperimentationPartnerFactory(
        experimentation=experimentation,
        organisation=aract,
        level=ExperimentationPartner.Level.REGIONAL,
    )
    f.TerritoryFactory(experimentation=experimentation)
    f.EnrolledCompanyFactory(experimentation=experimentation)
    f.EvaluationFactory(experimentation=experimentation, report=signed_text)
    Group.objects.create(name="Coordinateurs")
    return locals()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_administrator_opens_every_admin_page(admin_client, dataset, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the dataset has no {model._meta.label}"
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "changelist") + "?q=a",
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url


def _autocomplete_fields():
    for model, model_admin in admin.site._registry.items():
        for source in (model_admin, *model_admin.inlines):
            source_model = model if source is model_admin else source.model
            for name in getattr(source, "autocomplete_fields", ()):
                yield pytest.param(source_model, name, id=f"{source_model._meta.label}.{name}")


@pytest.mark.parametrize(("model", "field_name"), list(_autocomplete_fields()))
def test_every_autocomplete_field_answers(admin_client, dataset, model, field_name):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": "a",
        },
    )
    assert response.status_code == 200
    assert "results" in response.json()


def test_admin_speaks_french(admin_client, dataset):
    response = admin_client.get(admin_url(Agreement, "changelist"))
    assert 'lang="fr"' in response.text


def test_status_is_shown_but_cannot_be_posted(admin_client, dataset):
    agreement = dataset["agreement"]
    response = admin_client.get(admin_url(Agreement, "change", agreement.pk))
    assert "status" not in response.context["adminform"].form.fields
    data = {**form_data(response), "status": Agreement.Status.TERMINATED, "title": "Nouveau"}
    response = admin_client.post(admin_url(Agreement, "change", agreement.pk), data)
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "Nouveau"
    assert agreement.status == Agreement.Status.SIGNED
    assert agreement.history.latest().history_user.username == "admin"


# Change lists: their query count does not grow with the rows --------------------------

_counter = iter(range(10**6))


def _document():
    return Document.objects.create(
        title="Document", file="documents/x.pdf", agreement=f.AgreementFactory()
    )


BUILDERS = {
    User: lambda: f.StaffProfileFactory().user,
    Group: lambda: Group.objects.create(name=f"Groupe {next(_counter)}"),
    Organisation: lambda: f.OrganisationFactory(parent=f.OrganisationFactory()),
    StaffProfile: f.StaffProfileFactory,
    Contact: f.ContactFactory,
    Theme: lambda: f.ActionFactory(theme=f.ThemeFactory()).theme,
    Agreement: lambda: f.AgreementPartyFactory().agreement,
    AgreementParty: f.AgreementPartyFactory,
    Programme: lambda: f.ActionFactory().programme,
    Action: lambda: f.DeliverableFactory(action=f.ActionFactory(theme=f.ThemeFactory())).action,
    ActionContact: lambda: ActionContact.objects.create(
        action=f.ActionFactory(), organisation=f.OrganisationFactory(), user=f.UserFactory()
    ),
    ActionResource: f.ActionResourceFactory,
    Deliverable: f.DeliverableFactory,
    Meeting: lambda: f.ParticipantFactory().meeting,
    Participant: f.ParticipantFactory,
    AgendaItem: lambda: f.AgendaItemFactory(action=f.ActionFactory()),
    Decision: lambda: f.DecisionFactory(agenda_item=f.AgendaItemFactory()),
    FollowUpTask: lambda: f.FollowUpTaskFactory(owner=f.UserFactory()),
    ActionReview: lambda: f.ActionReviewFactory(recorded_by=f.UserFactory()),
    Document: _document,
    Convention: lambda: f.ConventionPartyFactory().convention,
    ConventionParty: f.ConventionPartyFactory,
    Commitment: f.CommitmentFactory,
    Amendment: lambda: Amendment.objects.create(
        convention=f.ConventionFactory(), number=1, signed_on=datetime.date(2026, 1, 5), summary="."
    ),
    Experimentation: lambda: (
        f.ExperimentationPartnerFactory(
            experimentation=f.ExperimentationFactory(convention=f.ConventionFactory())
        ).experimentation
    ),
    ExperimentationPartner: f.ExperimentationPartnerFactory,
    Territory: f.TerritoryFactory,
    EnrolledCompany: f.EnrolledCompanyFactory,
    Evaluation: lambda: f.EvaluationFactory(report=_document()),
}


def test_every_registered_model_has_a_builder():
    assert set(REGISTERED) == set(BUILDERS)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    # Expected, whatever the number of rows: the session and the user, the row count (and the
    # full count), the page of rows with its related records joined in (list_select_related,
    # counts annotated), one query per related list filter and for the date hierarchy.
    build = BUILDERS[model]
    url = admin_url(model, "changelist")
    for _ in range(5):
        build()
    admin_client.get(url)  # caches warmed up: content types, session
    with CaptureQueriesContext(connection) as five:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 5
    for _ in range(45):
        build()
    with CaptureQueriesContext(connection) as fifty:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 50
    assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)


# Lifecycle transitions as admin actions ------------------------------------------------


def run_action(client, model, action, records, **inputs):
    data = {"action": action, "_selected_action": [r.pk for r in records], "index": 0, **inputs}
    response = client.post(admin_url(model, "changelist"), data, follow=True)
    assert response.status_code == 200
    return messages_of(response)


def test_signing_from_the_list_signs_the_ready_agreement_and_explains_the_refusal(
    admin_client, dataset
):
    ready = f.AgreementFactory(
        reference="AC-PRET",
        status=Agreement.Status.NEGOTIATION,
        signed_on=datetime.date(2026, 1, 20),
    )
    f.AgreementPartyFactory(agreement=ready, organisation=dataset["anact"])
    f.AgreementPartyFactory(agreement=ready, organisation=dataset["inrs"])
    lonely = f.AgreementFactory(
        reference="AC-SEUL",
        status=Agreement.Status.NEGOTIATION,
        signed_on=datetime.date(2026, 1, 20),
    )
    f.AgreementPartyFactory(agreement=lonely, organisation=dataset["anact"])

    messages = run_action(admin_client, Agreement, "sign", [ready, lonely])

    ready.refresh_from_db()
    lonely.refresh_from_db()
    assert ready.status == Agreement.Status.SIGNED
    assert ready.history.latest().history_user.username == "admin"
    assert lonely.status == Agreement.Status.NEGOTIATION
    refusal = french("An agreement is signed by at least two parties: add the parties first.")
    assert ("error", f"{lonely}: {refusal}") in messages
    [success] = [text for level, text in messages if level == "success"]
    assert str(ready) in success
    assert str(lonely) not in success


def test_an_impossible_transition_is_refused_with_the_lifecycle_message(admin_client, dataset):
    agreement = dataset["agreement"]  # already signed

    messages = run_action(admin_client, Agreement, "negotiate", [agreement])

    assert len(messages) == 1
    level, text = messages[0]
    assert level == "error"
    assert str(agreement) in text
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED


def test_terminating_a_convention_takes_the_reason_typed_in_the_action_bar(admin_client, dataset):
    convention = dataset["convention"]

    messages = run_action(admin_client, Convention, "terminate", [convention], reason="")
    assert ("error", f"{convention}: {french('Give the reason for the termination.')}") in (
        messages
    )
    convention.refresh_from_db()
    assert convention.status == Convention.Status.SIGNED

    messages = run_action(
        admin_client, Convention, "terminate", [convention], reason="Fin du financement"
    )
    assert [level for level, _ in messages] == ["success"]
    convention.refresh_from_db()
    assert convention.status == Convention.Status.TERMINATED
    assert convention.termination_reason == "Fin du financement"


def test_adopting_a_programme_takes_the_meeting_chosen_in_the_action_bar(admin_client, dataset):
    programme = dataset["programme"]
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    meeting = dataset["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.HELD)

    messages = run_action(admin_client, Programme, "adopt", [programme])
    assert messages[0][0] == "error"
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED

    messages = run_action(admin_client, Programme, "adopt", [programme], meeting=meeting.pk)
    assert [level for level, _ in messages] == ["success"]
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ADOPTED
    assert programme.adopted_at == meeting


def test_a_transition_runs_from_the_change_page_too(admin_client, dataset):
    draft = f.AgreementFactory(reference="AC-BROUILLON")
    url = admin_url(Agreement, "change", draft.pk)
    page = admin_client.get(url)
    assert 'name="CHANGE_FORM-action"' in page.text

    response = admin_client.post(
        url,
        {"CHANGE_FORM-action": "negotiate", "_selected_action": draft.pk, "index": 0},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == url
    assert [level for level, _ in messages_of(response)] == ["success"]
    draft.refresh_from_db()
    assert draft.status == Agreement.Status.NEGOTIATION


def test_action_transitions_and_experimentation_stop_go_through_the_services(admin_client, dataset):
    action = dataset["action"]
    run_action(admin_client, Action, "start", [action])
    run_action(admin_client, Action, "complete", [action])
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.COMPLETED, 100)

    experimentation = dataset["experimentation"]
    messages = run_action(
        admin_client, Experimentation, "stop", [experimentation], reason="Plus de financement"
    )
    assert [level for level, _ in messages] == ["success"]
    experimentation.refresh_from_db()
    assert experimentation.status == Experimentation.Phase.STOPPED
    assert experimentation.stop_reason == "Plus de financement"


# Numbers assigned by the services -------------------------------------------------------


def test_conventions_added_in_the_admin_get_annex_numbers_one_then_two(admin_client, dataset):
    agreement = f.SignedAgreementFactory(reference="AC-NOUVEAU")
    url = admin_url(Convention, "add")
    for title in ("Convention RPS", "Convention prospective"):
        data = {
            **form_data(admin_client.get(url)),
            "agreement": agreement.pk,
            "theme": dataset["tms"].pk,
            "title": title,
        }
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["errors"]

    conventions = agreement.conventions.order_by("annex_number")
    assert [(c.annex_number, c.title) for c in conventions] == [
        (1, "Convention RPS"),
        (2, "Convention prospective"),
    ]
    assert conventions[0].history.latest().history_user.username == "admin"
    page = admin_client.get(admin_url(Convention, "change", conventions[1].pk))
    assert "annex_number" not in page.context["adminform"].form.fields


def test_a_convention_added_with_its_parties_keeps_them(admin_client, dataset):
    agreement = f.SignedAgreementFactory(reference="AC-PARTIES")
    url = admin_url(Convention, "add")
    data = {
        **form_data(admin_client.get(url)),
        "agreement": agreement.pk,
        "theme": dataset["tms"].pk,
        "title": "Convention avec ses parties",
        "parties-TOTAL_FORMS": 1,
        "parties-0-organisation": dataset["anact"].pk,
        "parties-0-signatory_name": "La directrice générale",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    convention = agreement.conventions.get()
    assert convention.annex_number == 1
    assert list(convention.parties.values_list("organisation", flat=True)) == [dataset["anact"].pk]


def _add_amendment(client, convention, summary):
    url = admin_url(Convention, "change", convention.pk)
    data = form_data(client.get(url))
    index = int(data["amendments-TOTAL_FORMS"])
    data.update(
        {
            "amendments-TOTAL_FORMS": index + 1,
            f"amendments-{index}-signed_on": "2026-02-01",
            f"amendments-{index}-summary": summary,
        }
    )
    return client.post(url, data)


def test_amendments_added_inline_are_numbered_after_the_last_one(admin_client, dataset):
    convention = dataset["convention"]  # signed, with amendment no. 1

    assert _add_amendment(admin_client, convention, "Budget revu").status_code == 302
    assert _add_amendment(admin_client, convention, "Calendrier revu").status_code == 302

    assert list(convention.amendments.values_list("number", "summary")) == [
        (1, "Prolongation d’un an."),
        (2, "Budget revu"),
        (3, "Calendrier revu"),
    ]


def test_an_amendment_to_a_draft_convention_is_refused_next_to_the_form(admin_client, dataset):
    draft = f.ConventionFactory(agreement=dataset["agreement"], theme=dataset["tms"])

    response = _add_amendment(admin_client, draft, "Trop tôt")

    assert response.status_code == 200
    # The refusal itself: "brouillon" alone is on the page anyway, in the status field.
    assert "peut faire l’objet d’un avenant (statut actuel\u00a0: «\u00a0brouillon\u00a0»)" in (
        response.text
    )
    assert not draft.amendments.exists()


def test_an_amendment_added_on_its_own_page_gets_the_next_number(admin_client, dataset):
    convention = dataset["convention"]
    url = admin_url(Amendment, "add")
    data = {
        **form_data(admin_client.get(url)),
        "convention": convention.pk,
        "signed_on": "2026-03-01",
        "summary": "Nouveau partenaire",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert convention.amendments.get(summary="Nouveau partenaire").number == 2


# Documents -------------------------------------------------------------------------------


def test_a_document_uploaded_in_the_admin_records_its_name_size_and_uploader(admin_client, dataset):
    now = timezone.localtime()
    response = admin_client.post(
        admin_url(Document, "add"),
        {
            "title": "Compte rendu signé",
            "kind": Document.Kind.MINUTES,
            "file": SimpleUploadedFile("compte-rendu.pdf", b"%PDF-1.4 cr", "application/pdf"),
            "uploaded_at_0": now.strftime("%d/%m/%Y"),
            "uploaded_at_1": now.strftime("%H:%M:%S"),
            "meeting": dataset["meeting"].pk,
        },
    )
    assert response.status_code == 302, response.context["errors"]
    document = Document.objects.get(title="Compte rendu signé")
    assert document.original_name == "compte-rendu.pdf"
    assert document.size == len(b"%PDF-1.4 cr")
    assert document.content_type == "application/pdf"
    assert document.uploaded_by.username == "admin"
    assert "compte-rendu" not in document.file.name


def test_the_user_page_edits_the_staff_profile(admin_client, dataset):
    coordinator = dataset["coordinator"]
    response = admin_client.get(admin_url(User, "change", coordinator.pk))
    assert any(
        inline.formset.model is StaffProfile for inline in response.context["inline_admin_formsets"]
    )
    response = admin_client.get(admin_url(User, "changelist"))
    assert "Anact" in response.text


def test_inline_records_keep_their_author(admin_client, dataset):
    meeting = dataset["meeting"]
    url = admin_url(Meeting, "change", meeting.pk)
    data = form_data(admin_client.get(url))
    index = int(data["action_reviews-TOTAL_FORMS"])
    other = f.ActionFactory(programme=dataset["programme"], title="Autre action")
    data.update(
        {
            "action_reviews-TOTAL_FORMS": index + 1,
            f"action_reviews-{index}-action": other.pk,
            f"action_reviews-{index}-status": Action.Status.IN_PROGRESS,
            f"action_reviews-{index}-progress": 30,
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    review = ActionReview.objects.get(action=other)
    assert review.recorded_by.username == "admin"
    assert review.history.latest().history_user.username == "admin"
