"""Who gets what, for every URL of the staff interface, generated from the URL configuration.

Each URL name has one access rule below; a view added without a rule fails
`test_every_url_has_a_rule`. Every case runs a real request (GET and POST) as one of: an
anonymous visitor, a coordinator of a body that is no party (the outsider), and a reader,
a contributor and a coordinator of Anact (party to the agreement), and an administrator.
A record one may not see answers 404, one seen but not changeable 403; "ok" is 200 or a
redirect after success (a POST with no data re-renders its form, 200).
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from partnership.models import AccessRequest, Action, Comment, Contact, Notification
from tests.factories import (
    AgendaItemFactory,
    AgreementPartyFactory,
    AmendmentFactory,
    ContactFactory,
    ConventionFactory,
    ConventionPartyFactory,
    DeliverableFactory,
    DocumentFactory,
    EnrolledCompanyFactory,
    ExperimentationFactory,
    FollowUpTaskFactory,
    MeasurementFactory,
    MeetingFactory,
    PlannedProjectFactory,
    ProgrammeFactory,
    ThemeFactory,
    UserFactory,
)
from tests.html_forms import form_data

OK, LOGIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = "ok", "login", 403, 404, 405
PERSONAS = ["anonymous", "outsider", "reader", "contributor", "coordinator", "administrator"]

# Access rules: what each persona gets, in the order of PERSONAS after "anonymous".
#                outsider    reader      contributor coordinator administrator
READ = dict(zip(PERSONAS[1:], [NOT_FOUND, OK, OK, OK, OK], strict=True))
LIST = dict(zip(PERSONAS[1:], [OK, OK, OK, OK, OK], strict=True))
COORDINATE = dict(zip(PERSONAS[1:], [NOT_FOUND, FORBIDDEN, FORBIDDEN, OK, OK], strict=True))
CONTRIBUTE = dict(zip(PERSONAS[1:], [NOT_FOUND, FORBIDDEN, OK, OK, OK], strict=True))
ANY_COORDINATOR = dict(zip(PERSONAS[1:], [OK, FORBIDDEN, FORBIDDEN, OK, OK], strict=True))
ADMINISTRATOR = dict(
    zip(PERSONAS[1:], [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK], strict=True)
)
EVERYONE_405 = dict.fromkeys(PERSONAS[1:], NOT_ALLOWED)
# An invitation of the outsider's organisation: its coordinator and administrators answer it;
# to the others it does not exist.
INVITEE = dict(zip(PERSONAS[1:], [OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK], strict=True))
# An access request to join Anact (single sign-on): its coordinators and administrators decide
# it; to the others it does not exist.
REQUEST_DECIDER = dict(zip(PERSONAS[1:], [NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK], strict=True))
# A comment written by Anact's contributor: its author edits and deletes it (and an
# administrator, who does everything).
AUTHOR = dict(zip(PERSONAS[1:], [NOT_FOUND, FORBIDDEN, OK, FORBIDDEN, OK], strict=True))
# A notification of Anact's reader: to the others it does not exist.
RECIPIENT = dict(zip(PERSONAS[1:], [NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND], strict=True))
ON_ACTION = {"segment": "segment_action", "pk": "action"}
# The chooser of an agreement refuses non-coordinators before looking at the method.
CHOOSER_POST = {**EVERYONE_405, "reader": FORBIDDEN, "contributor": FORBIDDEN}

# url name -> (GET rule, POST rule, kwargs from the world, query string)
RULES = {
    "home": (LIST, EVERYONE_405, None, ""),
    "access_request_list": (ANY_COORDINATOR, EVERYONE_405, None, ""),
    "access_request_detail": (REQUEST_DECIDER, REQUEST_DECIDER, "access_request", ""),
    "about": (LIST, EVERYONE_405, None, ""),
    "search": (LIST, EVERYONE_405, None, "?q=TMS"),
    "agreement_list": (LIST, EVERYONE_405, None, ""),
    "agreement_create": (ANY_COORDINATOR, ANY_COORDINATOR, None, ""),
    "agreement_detail": (READ, EVERYONE_405, "agreement", ""),
    "agreement_update": (COORDINATE, COORDINATE, "agreement", ""),
    "agreement_delete": (COORDINATE, COORDINATE, "agreement", ""),
    "agreement_transition": (COORDINATE, COORDINATE, ("agreement", "terminate"), ""),
    "programme_list": (LIST, EVERYONE_405, None, ""),
    "programme_create": (COORDINATE, COORDINATE, ("agreement_pk", "agreement"), ""),
    "programme_detail": (READ, EVERYONE_405, "programme", ""),
    "programme_update": (COORDINATE, COORDINATE, "programme", ""),
    "programme_delete": (COORDINATE, COORDINATE, "programme", ""),
    "programme_transition": (COORDINATE, COORDINATE, ("programme", "propose"), ""),
    "programme_next_year": (COORDINATE, COORDINATE, "programme", ""),
    "programme_approve": (COORDINATE, COORDINATE, "programme", ""),
    "programme_timeline": (READ, EVERYONE_405, "programme", ""),
    "programme_report": (READ, EVERYONE_405, "programme", ""),
    "programme_report_csv": (READ, EVERYONE_405, "programme", ""),
    "programme_report_xlsx": (READ, EVERYONE_405, "programme", ""),
    "action_export_csv": (LIST, EVERYONE_405, None, "?year=2026"),
    "action_export_xlsx": (LIST, EVERYONE_405, None, ""),
    "meeting_month_calendar": (LIST, EVERYONE_405, None, "?mois=2026-11"),
    "action_list": (LIST, EVERYONE_405, None, ""),
    "action_create": (CONTRIBUTE, CONTRIBUTE, ("programme_pk", "programme"), ""),
    "action_detail": (READ, EVERYONE_405, "action", ""),
    "action_update": (CONTRIBUTE, CONTRIBUTE, "action", ""),
    "action_delete": (COORDINATE, COORDINATE, "action", ""),
    "action_transition": (CONTRIBUTE, CONTRIBUTE, ("action", "start"), ""),
    "deliverable_create": (CONTRIBUTE, CONTRIBUTE, ("action_pk", "action"), ""),
    "deliverable_update": (CONTRIBUTE, CONTRIBUTE, "deliverable", ""),
    "deliverable_delete": (COORDINATE, COORDINATE, "deliverable", ""),
    "meeting_list": (LIST, EVERYONE_405, None, ""),
    "meeting_create_choose": (ANY_COORDINATOR, CHOOSER_POST, None, ""),
    "meeting_create": (COORDINATE, COORDINATE, ("agreement_pk", "agreement"), ""),
    "meeting_detail": (READ, EVERYONE_405, "meeting", ""),
    "meeting_update": (COORDINATE, COORDINATE, "meeting", ""),
    "meeting_outcomes": (COORDINATE, COORDINATE, "meeting", ""),
    "meeting_delete": (COORDINATE, COORDINATE, "meeting", ""),
    "meeting_transition": (COORDINATE, COORDINATE, ("meeting", "cancel"), ""),
    "meeting_review": (COORDINATE, COORDINATE, "meeting", ""),
    "meeting_prepare_agenda": (COORDINATE, COORDINATE, "meeting", ""),
    "meeting_minutes_print": (READ, EVERYONE_405, "meeting", ""),
    "meeting_calendar": (READ, EVERYONE_405, "meeting", ""),
    "meeting_minutes_pdf": (READ, EVERYONE_405, "meeting", ""),
    "agendaitem_create": (COORDINATE, COORDINATE, "meeting", ""),
    "agendaitem_up": (EVERYONE_405, COORDINATE, "agenda_item", ""),
    "agendaitem_down": (EVERYONE_405, COORDINATE, "agenda_item", ""),
    "agendaitem_remove": (EVERYONE_405, COORDINATE, "agenda_item", ""),
    "decision_list": (LIST, EVERYONE_405, None, ""),
    "calendar_feed_settings": (LIST, LIST, None, ""),
    "notification_preferences": (LIST, LIST, None, ""),
    "followuptask_update": (CONTRIBUTE, CONTRIBUTE, "task", ""),
    "followuptask_done": (EVERYONE_405, CONTRIBUTE, "task", ""),
    "organisation_list": (LIST, EVERYONE_405, None, ""),
    "organisation_create": (ANY_COORDINATOR, ANY_COORDINATOR, None, ""),
    "organisation_detail": (LIST, EVERYONE_405, "organisation", ""),
    # INRS: only its own coordinators and administrators change it (tests/test_attacks.py).
    "organisation_update": (ADMINISTRATOR, ADMINISTRATOR, "organisation", ""),
    "invitation_accept": (EVERYONE_405, INVITEE, "invitation", ""),
    "invitation_decline": (EVERYONE_405, INVITEE, "invitation", ""),
    "organisation_delete": (ADMINISTRATOR, ADMINISTRATOR, "organisation", ""),
    "contact_list": (LIST, EVERYONE_405, None, ""),
    "contact_create": (ANY_COORDINATOR, ANY_COORDINATOR, None, ""),
    "contact_detail": (LIST, EVERYONE_405, "contact", ""),
    "contact_update": (ANY_COORDINATOR, ANY_COORDINATOR, "contact", ""),
    "contact_delete": (ANY_COORDINATOR, ANY_COORDINATOR, "contact", ""),
    "conventions:convention_list": (LIST, EVERYONE_405, None, ""),
    "conventions:convention_create_start": (COORDINATE, EVERYONE_405, None, "?accord={agreement}"),
    "conventions:convention_create": (COORDINATE, COORDINATE, ("agreement_pk", "agreement"), ""),
    "conventions:convention_detail": (READ, EVERYONE_405, "convention", ""),
    "conventions:convention_update": (COORDINATE, COORDINATE, "convention", ""),
    "conventions:convention_delete": (COORDINATE, COORDINATE, "convention", ""),
    "conventions:convention_transition": (
        COORDINATE,
        COORDINATE,
        ("convention", "negotiate"),
        "",
    ),
    "conventions:amendment_create": (
        COORDINATE,
        COORDINATE,
        ("convention_pk", "signed_convention"),
        "",
    ),
    "conventions:amendment_update": (COORDINATE, COORDINATE, "amendment", ""),
    "conventions:amendment_delete": (COORDINATE, COORDINATE, "amendment", ""),
    "experimentations:experimentation_list": (LIST, EVERYONE_405, None, ""),
    "experimentations:experimentation_create": (
        COORDINATE,
        COORDINATE,
        ("agreement_pk", "agreement"),
        "",
    ),
    "experimentations:experimentation_detail": (READ, EVERYONE_405, "experimentation", ""),
    "experimentations:experimentation_update": (COORDINATE, COORDINATE, "experimentation", ""),
    "experimentations:experimentation_delete": (COORDINATE, COORDINATE, "experimentation", ""),
    "experimentations:experimentation_transition": (
        COORDINATE,
        COORDINATE,
        ("experimentation", "stop"),
        "",
    ),
    "experimentations:company_create": (
        COORDINATE,
        COORDINATE,
        ("experimentation_pk", "experimentation"),
        "",
    ),
    "experimentations:company_update": (COORDINATE, COORDINATE, "company", ""),
    "experimentations:company_import": (
        COORDINATE,
        COORDINATE,
        ("experimentation_pk", "experimentation"),
        "",
    ),
    "experimentations:experimentation_decide": (COORDINATE, COORDINATE, "experimentation", ""),
    "experimentations:evaluation_summary": (READ, EVERYONE_405, "experimentation", ""),
    "experimentations:measurement_create": (
        COORDINATE,
        COORDINATE,
        ("experimentation_pk", "experimentation"),
        "",
    ),
    "experimentations:measurement_update": (COORDINATE, COORDINATE, "measurement", ""),
    "experimentations:measurement_delete": (COORDINATE, COORDINATE, "measurement", ""),
    "experimentations:company_delete": (COORDINATE, COORDINATE, "company", ""),
    "document_detail": (READ, EVERYONE_405, "document", ""),
    "document_download": (READ, EVERYONE_405, "document", ""),
    "document_version_download": (READ, EVERYONE_405, "document_version", ""),
    "document_replace": (COORDINATE, COORDINATE, "document", ""),
    "document_delete": (COORDINATE, COORDINATE, "document", ""),
    "document_create_agreement": (COORDINATE, COORDINATE, ("parent_pk", "agreement"), ""),
    "document_create_convention": (COORDINATE, COORDINATE, ("parent_pk", "convention"), ""),
    "document_create_amendment": (COORDINATE, COORDINATE, ("parent_pk", "amendment"), ""),
    "document_create_meeting": (COORDINATE, COORDINATE, ("parent_pk", "meeting"), ""),
    "document_create_deliverable": (CONTRIBUTE, CONTRIBUTE, ("parent_pk", "deliverable"), ""),
    "agreement_history": (READ, EVERYONE_405, "agreement", ""),
    "programme_history": (READ, EVERYONE_405, "programme", ""),
    "action_history": (READ, EVERYONE_405, "action", ""),
    "meeting_history": (READ, EVERYONE_405, "meeting", ""),
    "convention_history": (READ, EVERYONE_405, "convention", ""),
    "experimentation_history": (READ, EVERYONE_405, "experimentation", ""),
    "organisation_history": (LIST, EVERYONE_405, "organisation", ""),
    "contact_history": (LIST, EVERYONE_405, "contact", ""),
    "action_restore": (COORDINATE, COORDINATE, "action_version", ""),
    "convention_restore": (COORDINATE, COORDINATE, "convention_version", ""),
    "meeting_minutes_restore": (COORDINATE, COORDINATE, "meeting_version", ""),
    # Each party's programming: the world's project is Anact's (its keepers: Anact's
    # contributors and coordinators); INRS's is tested in tests/test_programming.py.
    "programming": (READ, EVERYONE_405, {"agreement_pk": "agreement", "year": "year"}, ""),
    "programming_open": (
        EVERYONE_405,
        COORDINATE,
        {"agreement_pk": "agreement", "year": "year"},
        "",
    ),
    "programming_export": (
        READ,
        EVERYONE_405,
        {"agreement_pk": "agreement", "year": "year", "extension": "xlsx"},
        "",
    ),
    "plannedproject_create": (
        CONTRIBUTE,
        CONTRIBUTE,
        {"agreement_pk": "agreement", "year": "year"},
        "",
    ),
    "programming_propose": (
        COORDINATE,
        COORDINATE,
        {"agreement_pk": "agreement", "year": "year"},
        "?projects={project}&projects={inrs_project}",
    ),
    "plannedproject_detail": (READ, EVERYONE_405, "project", ""),
    "plannedproject_update": (CONTRIBUTE, CONTRIBUTE, "project", ""),
    "plannedproject_delete": (CONTRIBUTE, CONTRIBUTE, "project", ""),
    "plannedproject_coordinate": (CONTRIBUTE, CONTRIBUTE, "project", ""),
    "plannedproject_history": (READ, EVERYONE_405, "project", ""),
    # Comments, follows and notifications (partnership.discussion).
    "comment_create": (EVERYONE_405, READ, ON_ACTION, ""),
    "mention_candidates": (READ, EVERYONE_405, ON_ACTION, "?q=a"),
    "comment_edit": (AUTHOR, AUTHOR, "comment", ""),
    "comment_delete": (EVERYONE_405, AUTHOR, "comment", ""),
    "comment_hide": (EVERYONE_405, COORDINATE, "comment", ""),
    "follow": (EVERYONE_405, READ, ON_ACTION, ""),
    "notification_list": (LIST, EVERYONE_405, None, "?non-lues=1"),
    "notification_open": (EVERYONE_405, RECIPIENT, "notification", ""),
    "notification_read": (EVERYONE_405, LIST, "notification", ""),
    "notification_read_all": (EVERYONE_405, LIST, None, ""),
    "deleted_records": (ADMINISTRATOR, {**ADMINISTRATOR, "administrator": NOT_ALLOWED}, None, ""),
    "deleted_record_restore": (
        ADMINISTRATOR,
        ADMINISTRATOR,
        None,
        "?modele=partnership.contact&version={deleted_contact}",
    ),
}
# Not staff pages: the public ones are covered by tests/test_login_required.py.
# calendar_feed is reached without a login through its secret key (tests/test_calendar.py).
# The single sign-on pages (sign-in, return from the provider, linking, the pending request,
# logout) are tested in tests/test_sso.py, the provider's back-channel logout (server to
# server, no session) in tests/test_sso_session.py.
OUTSIDE_THE_MATRIX = {
    "healthz",
    "set_language",
    "calendar_feed",
    "accessibility",
    "logout",
    "sso_login",
    "oidc_callback",
    "sso_link",
    "sso_pending",
    "oidc_backchannel_logout",
}


def _url_names(patterns=None, namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            module = getattr(pattern.urlconf_module, "__name__", pattern.urlconf_name)
            if pattern.namespace == "admin" or module == "partnership.core.auth_urls":
                continue
            yield from _url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_a_rule():
    names = set(_url_names()) - OUTSIDE_THE_MATRIX
    assert names - set(RULES) == set(), "a view without an access rule: add it to RULES"
    assert set(RULES) - names == set(), "a rule for a URL that no longer exists"


@pytest.fixture
def world(agreement, anact, inrs, anact_contributor, anact_reader, outsider_organisation):
    today = timezone.localdate()
    theme = ThemeFactory(code="tms", name="TMS")
    programme = ProgrammeFactory(agreement=agreement, year=today.year)
    action = Action.objects.create(
        programme=programme,
        title="Évaluation conjointe des actions de prévention",
        kind=Action.Kind.STUDY,
        theme=theme,
        lead_organisation=anact,
    )
    action.partners.add(inrs)
    meeting = MeetingFactory(
        agreement=agreement,
        starts_at=timezone.now() + datetime.timedelta(days=10),
        ends_at=timezone.now() + datetime.timedelta(days=10, hours=2),
    )
    convention = ConventionFactory(agreement=agreement, annex_number=1, theme=theme)
    signed = ConventionFactory(
        agreement=agreement,
        annex_number=2,
        theme=theme,
        status="signed",
        signed_on=datetime.date(2024, 2, 1),
    )
    for organisation in (anact, inrs):
        ConventionPartyFactory(convention=signed, organisation=organisation)
    experimentation = ExperimentationFactory(agreement=agreement)
    document = DocumentFactory(agreement=agreement)
    gone = ContactFactory(last_name="Supprimé")
    gone_pk = gone.pk
    gone.delete()
    year = today.year + 1
    project = PlannedProjectFactory(agreement=agreement, organisation=anact, year=year, theme=theme)
    inrs_project = PlannedProjectFactory(
        agreement=agreement, organisation=inrs, year=year, theme=theme
    )
    comment = Comment.objects.create(action=action, author=anact_contributor, body="Un avis")
    return {
        "segment_action": "action",
        "comment": comment,
        "notification": Notification.objects.create(
            recipient=anact_reader, kind="comment", action=action, comment=comment
        ),
        "year": year,
        "project": project,
        "inrs_project": inrs_project,
        "agreement": agreement,
        "programme": programme,
        "action": action,
        "deliverable": DeliverableFactory(action=action),
        "meeting": meeting,
        "task": FollowUpTaskFactory(meeting=meeting, owner=anact_contributor),
        "agenda_item": AgendaItemFactory(meeting=meeting, title="Point d’étape"),
        "organisation": inrs,
        "invitation": AgreementPartyFactory(
            agreement=agreement, organisation=outsider_organisation, status="invited"
        ),
        "contact": ContactFactory(organisation=inrs),
        "convention": convention,
        "signed_convention": signed,
        "amendment": AmendmentFactory(convention=signed, signed_on=datetime.date(2024, 6, 1)),
        "experimentation": experimentation,
        "company": EnrolledCompanyFactory(experimentation=experimentation),
        "measurement": MeasurementFactory(indicator__experimentation=experimentation),
        "document": document,
        "document_version": document.history.get(),
        "action_version": action.history.earliest("history_date"),
        "convention_version": convention.history.get(),
        "meeting_version": meeting.history.get(),
        "deleted_contact": Contact.history.get(id=gone_pk, history_type="-"),
        "access_request": AccessRequest.objects.create(
            user=UserFactory(username="en.attente", email="attente@anact.fr", is_active=False),
            organisation=anact,
            email_domain="anact.fr",
        ),
    }


def _url(name, target, query, world):
    if target is None:
        url = reverse(name)
    elif isinstance(target, dict):
        url = reverse(
            name,
            kwargs={
                kwarg: getattr(world.get(key), "pk", world.get(key, key))
                for kwarg, key in target.items()
            },
        )
    elif isinstance(target, str):
        url = reverse(name, kwargs={"pk": world[target].pk})
    elif target[0].endswith("_pk"):
        url = reverse(name, kwargs={target[0]: world[target[1]].pk})
    else:
        url = reverse(name, kwargs={"pk": world[target[0]].pk, "transition": target[1]})
    return url + query.format(**{key: getattr(value, "pk", value) for key, value in world.items()})


@pytest.fixture
def persona(request, anact_reader, anact_contributor, anact_coordinator, outsider, administrator):
    return {
        "anonymous": None,
        "outsider": outsider,
        "reader": anact_reader,
        "contributor": anact_contributor,
        "coordinator": anact_coordinator,
        "administrator": administrator,
    }[request.param]


def _answer(response):
    if response.status_code == 302 and "/comptes/login/" in response["Location"]:
        return LOGIN
    # 400: let in, the (empty) submission refused and shown again (a comment posted empty).
    if response.status_code in (200, 302, 400):
        return OK
    return response.status_code


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("name", sorted(RULES))
def test_access(client, world, name, persona, method):
    get_rule, post_rule, target, query = RULES[name]
    rule = get_rule if method == "get" else post_rule
    expected = LOGIN if persona is None else rule[_persona_name(persona)]
    if persona is not None:
        client.force_login(persona)
    response = getattr(client, method)(_url(name, target, query, world))
    assert _answer(response) == expected


def _persona_name(user):
    return {
        "cnav.coordinateur": "outsider",
        "anact.lecteur": "reader",
        "anact.contributeur": "contributor",
        "anact.coordinateur": "coordinator",
        "admin": "administrator",
    }[user.username]


# Field-level: who changes which part of an action ----------------------------------------
# The action of the world is led by Anact with INRS as partner. "lead contributor" is Anact's
# contributor, "partner contributor" INRS's. Each case is a real POST of the edit page as the
# person's browser shows it, with one part changed; "may" means the change is saved, "may not"
# that it is refused (or the page is not theirs: 404, 403) and nothing changes.
FIELD_PERSONAS = [
    "outsider",
    "reader",
    "lead contributor",
    "partner contributor",
    "coordinator",
    "administrator",
]
DEFINITION = dict(zip(FIELD_PERSONAS, [False, False, True, False, True, True], strict=True))
OWN_PART = dict(zip(FIELD_PERSONAS, [False, False, True, True, True, True], strict=True))
ACTION_FIELD_RULES = {
    "title": DEFINITION,
    "kind": DEFINITION,
    "theme": DEFINITION,
    "lead_organisation": DEFINITION,
    "partners": DEFINITION,
    "convention": DEFINITION,
    "description": DEFINITION,
    "objectives": DEFINITION,
    "planned_start": DEFINITION,
    "planned_end": DEFINITION,
    "progress": DEFINITION,
    "continues": DEFINITION,
    "status": DEFINITION,
    # Who leads the action changes every organisation's rows; a partner only its own.
    "resources of the other organisation": DEFINITION,
    "resources of their organisation": OWN_PART,
    "deliverable of their organisation": OWN_PART,
    "deliverable of the other organisation": DEFINITION,
}


@pytest.fixture
def field_persona(
    request,
    anact_reader,
    anact_contributor,
    anact_coordinator,
    inrs_contributor,
    outsider,
    administrator,
):
    return {
        "outsider": outsider,
        "reader": anact_reader,
        "lead contributor": anact_contributor,
        "partner contributor": inrs_contributor,
        "coordinator": anact_coordinator,
        "administrator": administrator,
    }[request.param]


def _row_prefix(data, formset, pk):
    ids = {
        value: key
        for key, value in data.items()
        if key.startswith(f"{formset}-") and key.endswith("-id")
    }
    return ids[str(pk)].removesuffix("-id")


@pytest.mark.parametrize("field_persona", FIELD_PERSONAS, indirect=True)
@pytest.mark.parametrize("field", sorted(ACTION_FIELD_RULES))
def test_action_field_access(
    client, world, field, field_persona, anact, inrs, outsider_organisation
):
    from partnership.models import ActionResource, Deliverable

    action = world["action"]
    persona = {
        "cnav.coordinateur": "outsider",
        "anact.lecteur": "reader",
        "anact.contributeur": "lead contributor",
        "inrs.contributeur": "partner contributor",
        "anact.coordinateur": "coordinator",
        "admin": "administrator",
    }[field_persona.username]
    own, other = (inrs, anact) if persona == "partner contributor" else (anact, inrs)
    rows = {
        organisation: ActionResource.objects.create(
            action=action, organisation=organisation, person_days=1
        )
        for organisation in (anact, inrs)
    }
    deliverables = {
        organisation: DeliverableFactory(
            action=action, title="Livrable", responsible_organisation=organisation
        )
        for organisation in (anact, inrs)
    }
    previous_year = ProgrammeFactory(agreement=world["agreement"], year=action.programme.year - 1)
    continued = Action.objects.create(
        programme=previous_year, title="L’an dernier", kind="study", lead_organisation=anact
    )
    client.force_login(field_persona)
    url = reverse("action_update", args=[action.pk])
    if field == "status":
        client.post(reverse("action_transition", args=[action.pk, "start"]))
        action.refresh_from_db()
        assert (action.status == "in_progress") is ACTION_FIELD_RULES[field][persona]
        return
    if field.startswith("deliverable"):
        target = deliverables[own if field.endswith("their organisation") else other]
        target_url = reverse("deliverable_update", args=[target.pk])
        page = client.get(target_url)
        if page.status_code == 200:
            data = form_data(page)
            data["title"] = "Livrable changé"
            client.post(target_url, data)
        changed = Deliverable.objects.get(pk=target.pk).title == "Livrable changé"
        assert changed is ACTION_FIELD_RULES[field][persona]
        return
    page = client.get(url)
    if page.status_code != 200:
        assert page.status_code in (403, 404)
        assert not ACTION_FIELD_RULES[field][persona]
        return
    data = form_data(page)
    if field.startswith("resources"):
        row = rows[own if field.endswith("their organisation") else other]
        data[f"{_row_prefix(data, 'resources', row.pk)}-person_days"] = "9"
        client.post(url, data)
        changed = ActionResource.objects.get(pk=row.pk).person_days == 9
        assert changed is ACTION_FIELD_RULES[field][persona]
        return
    new_theme = ThemeFactory(code="rps", name="RPS")
    values = {
        "title": "Titre changé",
        "kind": Action.Kind.TRAINING,
        "theme": new_theme.pk,
        "lead_organisation": inrs.pk,
        "partners": [anact.pk, outsider_organisation.pk],
        "convention": world["convention"].pk,
        "description": "Changée.",
        "objectives": "Changés.",
        "planned_start": "2026-02-01",
        "planned_end": "2026-12-30",
        "progress": "40",
        "continues": continued.pk,
    }
    data[field] = values[field]
    if field == "lead_organisation":
        data["partners"] = [anact.pk]  # Anact stays on the action it hands over
    response = client.post(url, data)
    action.refresh_from_db()
    saved = {
        "title": action.title == "Titre changé",
        "kind": action.kind == Action.Kind.TRAINING,
        "theme": action.theme_id == new_theme.pk,
        "lead_organisation": action.lead_organisation_id == inrs.pk,
        "partners": set(action.partners.values_list("pk", flat=True))
        == {anact.pk, outsider_organisation.pk},
        "convention": action.convention_id == world["convention"].pk,
        "description": action.description == "Changée.",
        "objectives": action.objectives == "Changés.",
        "planned_start": str(action.planned_start) == "2026-02-01",
        "planned_end": str(action.planned_end) == "2026-12-30",
        "progress": action.progress == 40,
        "continues": action.continues_id == continued.pk,
    }[field]
    assert saved is ACTION_FIELD_RULES[field][persona], response.content.decode()[-3000:]
    if not saved:
        assert "Vous n’avez pas le droit de modifier ces champs" in response.content.decode()
