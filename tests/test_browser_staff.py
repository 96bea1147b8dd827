"""The staff pages in a real browser: the coordinator's and the reader's story, and the layout.

Headless Debian chromium through Playwright (tests/browser.py). The screenshots of the layout
test go to pytest's temporary folder, under ``screenshots/<width>/``.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention
from partnership.models import Action, Deliverable, Meeting, Organisation
from tests.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    chromium,
    log_in,
    take_console_errors,
)
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    AgendaItemFactory,
    CommitmentFactory,
    ConventionFactory,
    ConventionPartyFactory,
    DeliverableFactory,
    EnrolledCompanyFactory,
    ExperimentationFactory,
    ExperimentationPartnerFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProgrammeFactory,
    TerritoryFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 390]
DELIVERABLE = "Guide TMS – version de relecture"

# Links and buttons that change a record: its edit and delete pages, its lifecycle transitions,
# and the pages that add something under it.
# What changes the record. Commenting on it and following it are for its readers too.
CHANGING_LINKS = (
    "main a[href*='/modifier/'], main a[href*='/supprimer/'], main a[href*='/statut/'], "
    "main a[href*='/nouveau/'], main a[href*='/nouvelle/'], "
    "main form[method='post']:not([action^='/commentaires/']):not([action^='/suivre/'])"
)


@pytest.fixture
def current_programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)


def _main_navigation(page):
    return page.get_by_role("navigation", name="Navigation principale")


def _fields(page):
    """The form of an edit page (the navigation bar has a search field of its own)."""
    return page.locator("main form[method='post']")


def _field(form, label):
    """The field of this label, required (its label ends with an asterisk) or not."""
    return form.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def _open_as(chromium, live_server, username, password, width=1280):  # noqa: F811
    """A page of its own browser context (its own cookies), logged in as ``username``."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, username, password)
    page.wait_for_url(f"{live_server.url}/")
    return page


# The story ----------------------------------------------------------------------------------


def test_coordinator_creates_an_action_and_a_deliverable_that_a_reader_sees_unchanged(
    chromium,  # noqa: F811
    live_server,
    password,
    anact,
    inrs,
    current_programme,
    anact_coordinator,
    anact_reader,
):
    year = current_programme.year
    title = "Guide commun de prévention des TMS dans l’aide à domicile"
    due_on = timezone.localdate() + datetime.timedelta(days=10)

    # The coordinator logs in and opens this year's programme from the dashboard.
    page = _open_as(chromium, live_server, "anact.coordinateur", password)
    try:
        programmes = page.locator("#programmes")
        programmes.get_by_role("link", name=f"Programme commun {year}").click()
        page.wait_for_url(re.compile(r"/programmes/\d+/$"))
        assert page.get_by_role("heading", level=1).inner_text() == f"Programme commun {year}"

        # A new action, led by Anact with INRS as partner.
        page.get_by_role("link", name="Nouvelle action").click()
        page.wait_for_url(re.compile(r"/actions/nouvelle/$"))
        form = _fields(page)
        _field(form, "Titre").fill(title)
        _field(form, "Type").select_option(label="projet d’étude ou de recherche")
        _field(form, "Organisme pilote").select_option(label="Anact")
        _field(form, "Organismes partenaires").select_option(label="INRS")
        form.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(re.compile(r"/actions/\d+/$"))
        assert page.get_by_role("heading", level=1).inner_text() == title
        assert page.get_by_role("alert").filter(has_text="a été créée").is_visible()
        action = Action.objects.get(title=title)
        assert action.programme == current_programme
        assert action.kind == Action.Kind.STUDY
        assert action.lead_organisation == anact
        assert list(action.partners.all()) == [inrs]
        action_url = f"{live_server.url}{action.get_absolute_url()}"
        # The coordinator has the buttons the reader must not have.
        assert page.get_by_role("link", name="Modifier", exact=True).is_visible()
        assert page.locator(CHANGING_LINKS).count() > 0

        # On the action page, a deliverable due in ten days.
        page.get_by_role("link", name="Nouveau livrable").click()
        page.wait_for_url(re.compile(r"/livrables/nouveau/$"))
        form = _fields(page)
        _field(form, "Titre").fill(DELIVERABLE)
        _field(form, "Type").select_option(label="guide")
        _field(form, "Échéance").fill(due_on.isoformat())
        form.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(f"{action_url}#deliverables")
        deliverables = page.locator("#deliverables")
        assert deliverables.get_by_role("cell", name=DELIVERABLE, exact=True).is_visible()
        assert deliverables.get_by_text(due_on.strftime("%d/%m/%Y")).is_visible()
        deliverable = Deliverable.objects.get(action=action)
        assert deliverable.due_on == due_on
        assert deliverable.kind == Deliverable.Kind.GUIDE

        # The dashboard lists it among the deliverables due within 30 days.
        _main_navigation(page).get_by_role("link", name="Tableau de bord").click()
        page.wait_for_url(f"{live_server.url}/")
        due = page.locator("#deliverables")
        assert due.get_by_role("heading").inner_text() == (
            "Livrables attendus sous 30 jours ou en retard"
        )
        item = due.get_by_role("listitem").filter(has_text=DELIVERABLE)
        assert item.is_visible()
        assert title in item.inner_text()
        assert item.locator("time").get_attribute("datetime") == due_on.isoformat()
        assert (
            item.get_by_role("link", name=DELIVERABLE).get_attribute("href")
            == deliverable.get_absolute_url()
        )
    finally:
        page.context.close()

    # A reader of Anact finds the action from the list of actions, sees it and its deliverable...
    page = _open_as(chromium, live_server, "anact.lecteur", password)
    try:
        _main_navigation(page).get_by_role("link", name="Actions", exact=True).click()
        page.wait_for_url(re.compile(r"/actions/$"))
        page.locator("main").get_by_role("link", name=title).click()
        page.wait_for_url(action_url)
        assert page.get_by_role("heading", level=1).inner_text() == title
        about = page.locator("main section").filter(has_text="Organisme pilote")
        assert "Anact" in about.inner_text()
        assert "INRS" in about.inner_text()
        deliverables = page.locator("#deliverables")
        assert deliverables.get_by_role("cell", name=DELIVERABLE, exact=True).is_visible()
        assert deliverables.get_by_text(due_on.strftime("%d/%m/%Y")).is_visible()

        # ... but nothing to change it with.
        for name in ("Modifier", "Supprimer", "Nouveau livrable", "Démarrer", "Annuler"):
            assert page.get_by_role("link", name=name).count() == 0, name
            assert page.get_by_role("button", name=name).count() == 0, name
        assert page.locator(CHANGING_LINKS).count() == 0

        # Typing the edit addresses answers 403.
        for url in (
            reverse("action_update", args=[action.pk]),
            reverse("action_delete", args=[action.pk]),
            reverse("action_transition", args=[action.pk, "start"]),
            reverse("deliverable_create", args=[action.pk]),
            reverse("deliverable_update", args=[deliverable.pk]),
        ):
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 403, url
        # The browser logs each refusal: expected here, and nothing else.
        refusals = take_console_errors()
        assert len(refusals) == 5
        assert all("status of 403" in error for error in refusals), refusals
    finally:
        page.context.close()


# The layout ---------------------------------------------------------------------------------


@pytest.fixture
def dataset(agreement, anact, inrs, aract, current_programme, anact_coordinator, inrs_reader):
    """Enough records for every main page to have content, with long French titles."""
    today = timezone.localdate()
    now = timezone.now()
    tms = ThemeFactory(code="tms", name="Troubles musculo-squelettiques (TMS)")
    rps = ThemeFactory(code="rps", name="Risques psychosociaux (RPS)")
    current_programme.title = f"Programme de travail commun Anact – INRS {today.year}"
    current_programme.summary = "Les chantiers communs de l’année, arrêtés en comité de pilotage."
    current_programme.save()
    convention = ConventionFactory(
        agreement=agreement,
        annex_number=1,
        theme=tms,
        title="Convention ad hoc relative à la prévention des troubles musculo-squelettiques",
        purpose="Conditions de la coopération sur les TMS.",
        status=Convention.Status.IN_FORCE,
        signed_on=today - datetime.timedelta(days=210),
        starts_on=today - datetime.timedelta(days=200),
        ends_on=today + datetime.timedelta(days=60),
    )
    third_party = OrganisationFactory(
        name="Caisse nationale de l’assurance maladie",
        acronym="CNAM",
        kind=Organisation.Kind.PUBLIC_BODY,
    )
    for organisation in (anact, inrs, third_party):
        ConventionPartyFactory(convention=convention, organisation=organisation)
        CommitmentFactory(convention=convention, organisation=organisation)
    action = ActionFactory(
        programme=current_programme,
        title=(
            "Étude commune sur la prévention des troubles musculo-squelettiques dans les "
            "services d’aide et de soins à domicile"
        ),
        kind=Action.Kind.STUDY,
        theme=tms,
        lead_organisation=anact,
        convention=convention,
        status=Action.Status.IN_PROGRESS,
        progress=40,
        description="Une étude de terrain dans douze structures.",
        planned_start=today - datetime.timedelta(days=100),
        planned_end=today + datetime.timedelta(days=150),
    )
    action.partners.set([inrs, aract])
    ActionResourceFactory(action=action, organisation=anact, person_days=30, budget=12000)
    ActionResourceFactory(action=action, organisation=inrs, person_days=25, budget=8000)
    DeliverableFactory(
        action=action, title="Rapport intermédiaire", due_on=today + datetime.timedelta(days=10)
    )
    DeliverableFactory(
        action=action,
        title="Synthèse des entretiens menés auprès des intervenants à domicile",
        due_on=today - datetime.timedelta(days=5),
    )
    for index, (kind, theme) in enumerate(
        [
            (Action.Kind.PUBLICATION, rps),
            (Action.Kind.CONFERENCE, None),
            (Action.Kind.WORKING_GROUP, None),
        ]
    ):
        other = ActionFactory(
            programme=current_programme,
            title=f"Action commune n° {index + 2} : {theme or 'prospective'}",
            kind=kind,
            theme=theme,
            lead_organisation=inrs if index % 2 else anact,
            planned_start=today - datetime.timedelta(days=30),
            planned_end=today + datetime.timedelta(days=200),
        )
        other.partners.set([anact if index % 2 else inrs])
    meeting = MeetingFactory(
        agreement=agreement,
        kind=Meeting.Kind.STEERING_COMMITTEE,
        title="Comité de pilotage de l’accord-cadre – revue des chantiers de l’année",
        starts_at=now + datetime.timedelta(days=12),
        ends_at=now + datetime.timedelta(days=12, hours=3),
        place="Anact, 192 avenue Thiers, Lyon",
    )
    ParticipantFactory(meeting=meeting, user=anact_coordinator)
    ParticipantFactory(meeting=meeting, user=inrs_reader)
    AgendaItemFactory(meeting=meeting, title="Revue des chantiers en cours", position=1)
    AgendaItemFactory(meeting=meeting, title="Préparation du programme suivant", position=2)
    FollowUpTaskFactory(
        meeting=meeting,
        title="Envoyer le calendrier des travaux aux correspondants régionaux",
        owner=anact_coordinator,
        due_on=today + datetime.timedelta(days=7),
    )
    MeetingFactory(agreement=agreement, title="Rendez-vous de suivi du premier semestre")
    experimentation = ExperimentationFactory(
        agreement=agreement,
        convention=convention,
        title=(
            "Expérimentation de méthodes de prévention de l’usure professionnelle dans l’aide "
            "à domicile"
        ),
    )
    ExperimentationPartnerFactory(experimentation=experimentation, organisation=anact)
    ExperimentationPartnerFactory(experimentation=experimentation, organisation=aract)
    TerritoryFactory(experimentation=experimentation)
    EnrolledCompanyFactory(experimentation=experimentation, name="Association d’aide à domicile")
    return {
        "agreement": agreement,
        "programme": current_programme,
        "action": action,
        "convention": convention,
        "meeting": meeting,
        "experimentation": experimentation,
    }


def _main_pages(data):
    return {
        "dashboard": reverse("home"),
        "agreement-list": reverse("agreement_list"),
        "agreement": data["agreement"].get_absolute_url(),
        "programme": data["programme"].get_absolute_url(),
        "action-list": reverse("action_list"),
        "action": data["action"].get_absolute_url(),
        "convention-list": reverse("conventions:convention_list"),
        "convention": data["convention"].get_absolute_url(),
        "meeting-list": reverse("meeting_list"),
        "meeting": data["meeting"].get_absolute_url(),
        "experimentation-list": reverse("experimentations:experimentation_list"),
        "experimentation": data["experimentation"].get_absolute_url(),
    }


def _elements_past_the_right_edge(page):
    """Visible elements that stick out of the window without a scrolling box to hold them.

    The document's width alone misses content cut off by an ``overflow: hidden`` box.
    """
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const scrolls = (element) => {
            for (let box = element.parentElement; box; box = box.parentElement) {
                const overflow = getComputedStyle(box).overflowX;
                if (overflow === "auto" || overflow === "scroll") return true;
            }
            return false;
        };
        const found = [];
        for (const element of document.querySelectorAll("body *")) {
            const rect = element.getBoundingClientRect();
            if (!rect.width || !rect.height || rect.right <= width + 1) continue;
            if (element.closest(".visually-hidden, .visually-hidden-focusable")) continue;
            if (scrolls(element)) continue;
            const name = element.tagName.toLowerCase()
                + (element.id ? "#" + element.id : "")
                + (element.className && typeof element.className === "string"
                    ? "." + element.className.trim().split(/\\s+/).join(".") : "");
            found.push(`${name} (right edge at ${Math.round(rect.right)}px)`);
        }
        return found;
    }"""
    )


def _covers_its_centre(locator):
    """Nothing is drawn over the middle of this element (a fixed bar, a misplaced block)."""
    return locator.evaluate(
        """(element) => {
        const rect = element.getBoundingClientRect();
        const top = document.elementFromPoint(rect.x + rect.width / 2, rect.y + rect.height / 2);
        return top !== null && (top === element || element.contains(top));
    }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_fit_the_window(
    chromium,  # noqa: F811
    live_server,
    password,
    dataset,
    width,
    tmp_path,
):
    screenshots = tmp_path / "screenshots" / str(width)
    screenshots.mkdir(parents=True)
    page = _open_as(chromium, live_server, "anact.coordinateur", password, width=width)
    # Nothing a page does may be refused by the browser (the CSP) or fail in its scripts.
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message))
    page.on("pageerror", lambda error: console_errors.append(error))
    try:
        navigation = _main_navigation(page)
        dashboard_link = navigation.get_by_role("link", name="Tableau de bord")
        toggler = navigation.get_by_role("button", name="Afficher ou masquer le menu")
        if width < 992:
            # Below Bootstrap's "lg" breakpoint the sections fold behind the menu button.
            assert toggler.is_visible()
            assert not dashboard_link.is_visible()
            toggler.click()
            # Bootstrap's collapse animates: wait until both folded parts are fully open.
            page.locator(".main-nav-collapse.show").nth(1).wait_for()
            page.wait_for_function("!document.querySelector('.navbar .collapsing')")
            assert toggler.get_attribute("aria-expanded") == "true"
            for name in ("Tableau de bord", "Accords-cadres", "Réunions", "Contacts"):
                assert navigation.get_by_role("link", name=name).is_visible(), name
            assert navigation.get_by_role("searchbox").is_visible()
            assert_no_horizontal_overflow(page)
            page.screenshot(path=screenshots / "menu-open.png")
        else:
            assert dashboard_link.is_visible()
            assert navigation.get_by_role("searchbox").is_visible()

        for name, url in _main_pages(dataset).items():
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            heading = page.get_by_role("heading", level=1)
            assert heading.count() == 1, url
            assert heading.is_visible(), url
            assert heading.inner_text().strip(), url
            assert _covers_its_centre(heading), url
            assert navigation.is_visible(), url
            assert navigation.get_by_role("link", name="Suivi du partenariat").is_visible(), url
            if width < 992:
                assert toggler.is_visible(), url
            else:
                assert dashboard_link.is_visible(), url
            assert page.locator("footer").is_visible(), url
            page.screenshot(path=screenshots / f"{name}.png", full_page=True)
            assert_no_horizontal_overflow(page)
            assert _elements_past_the_right_edge(page) == [], url
            assert [str(getattr(error, "text", error)) for error in console_errors] == [], url
    finally:
        page.context.close()
