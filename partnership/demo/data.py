"""Demonstration data drawn from the seed situation (see /work/shared/context), in French.

Anact and INRS, their framework agreement and its governance, two years of joint programme,
the conventions annexed for themes, review meetings, and the experimentations of the
Anact–Aract network with Cnav, CNAMTS and INCa. Every date is relative to today so that the
demonstration always looks current: last year's programme is closed, this year's is adopted and
under way, the last review meeting was a few weeks ago and the next one is in three weeks.

The status of every record is set by the services, so the data obeys the same rules as what
people enter. The demo administrator is the author of every change.

Loading is idempotent: the accounts are created when they are missing (a password someone changed
is never reset) and the rest is loaded only if the demo agreement does not exist yet, so a
second run adds nothing and overwrites nothing.
"""

import datetime
import os
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from simple_history.models import HistoricalRecords

from conventions import services as convention_services
from conventions.models import Commitment, ConventionParty
from experimentations import services as experimentation_services
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Gate,
    Indicator,
    Measurement,
    Priority,
    Sector,
    StageCriterion,
    StageDecision,
    Territory,
)
from experimentations.services import Assessment
from partnership.agreements.models import Agreement, AgreementParty
from partnership.agreements.services import agreement_negotiate, agreement_sign
from partnership.core.dates import add_months, long_day
from partnership.demo.sample_pdf import sample_pdf
from partnership.directory.models import Contact, Organisation, StaffProfile, Theme
from partnership.directory.regions import Region
from partnership.discussion import services as discussion_services
from partnership.documents.files import record_upload, validate_upload
from partnership.documents.models import Document
from partnership.meetings.models import (
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
)
from partnership.meetings.services import meeting_approve_minutes, meeting_cancel, meeting_hold
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
    ProgrammeApproval,
)
from partnership.programmes.services import (
    action_transition,
    programme_approve,
    programme_close,
    programme_parties,
    programme_prepare_next_year,
    programme_propose,
)
from partnership.programming import services as programming_services
from partnership.programming.models import PlannedProject, ProgrammingOpening

DEMO_PASSWORD = "demo-partenariat-2026"


def address() -> str:
    """Where ``make run`` serves the demonstration: the HOST and PORT it is given."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    return f"http://{host}:{port}/"


AGREEMENT_REFERENCE = "AC-ANACT-INRS"
HOME_CARE_REFERENCE = "CP-CNAV-CNAMTS-ANACT"
CHRONIC_ILLNESS_REFERENCE = "AP-ANACT-INCA"

Kind = Organisation.Kind
Role = StaffProfile.Role


# Organisations, themes, people --------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    name: str
    acronym: str
    kind: str
    region: str
    website: str = ""
    parent: str = ""


def _aract(key, region, article, label):
    return OrganisationSpec(
        key=key,
        name="Association régionale pour l’amélioration des conditions de travail "
        f"{article}{label}",
        acronym=f"Aract {label}",
        kind=Kind.REGIONAL_ASSOCIATION,
        region=region,
        parent="anact",
    )


ORGANISATIONS = [
    OrganisationSpec(
        "anact",
        "Agence nationale pour l’amélioration des conditions de travail",
        "Anact",
        Kind.NATIONAL_AGENCY,
        Region.ARA,
        "https://www.anact.fr/",
    ),
    OrganisationSpec(
        "inrs",
        "Institut national de recherche et de sécurité pour la prévention des accidents du "
        "travail et des maladies professionnelles",
        "INRS",
        Kind.NATIONAL_AGENCY,
        Region.IDF,
        "https://www.inrs.fr/",
    ),
    _aract("aract_ara", Region.ARA, "d’", "Auvergne-Rhône-Alpes"),
    _aract("aract_bre", Region.BRE, "de ", "Bretagne"),
    _aract("aract_ges", Region.GES, "du ", "Grand Est"),
    _aract("aract_hdf", Region.HDF, "des ", "Hauts-de-France"),
    _aract("aract_naq", Region.NAQ, "de ", "Nouvelle-Aquitaine"),
    _aract("aract_occ", Region.OCC, "d’", "Occitanie"),
    _aract("aract_pdl", Region.PDL, "des ", "Pays de la Loire"),
    OrganisationSpec(
        "cnav",
        "Caisse nationale d’assurance vieillesse",
        "Cnav",
        Kind.PUBLIC_BODY,
        Region.IDF,
        "https://www.lassuranceretraite.fr/",
    ),
    OrganisationSpec(
        "cnamts",
        "Caisse nationale de l’assurance maladie des travailleurs salariés",
        "CNAMTS",
        Kind.PUBLIC_BODY,
        Region.IDF,
        "https://www.ameli.fr/",
    ),
    OrganisationSpec(
        "inca",
        "Institut national du cancer",
        "INCa",
        Kind.PUBLIC_BODY,
        Region.IDF,
        "https://www.e-cancer.fr/",
    ),
]
ORGANISATIONS_BY_KEY = {spec.key: spec for spec in ORGANISATIONS}


@dataclass(frozen=True)
class AccountSpec:
    username: str
    first_name: str
    last_name: str
    organisation: str
    job_title: str
    role: str
    is_administrator: bool = False

    @property
    def email(self):
        return _email(self.first_name, self.last_name, self.organisation)


ACCOUNTS = [
    AccountSpec(
        "admin",
        "Claire",
        "Morel",
        "anact",
        "Administratrice de l’application de suivi",
        Role.ADMINISTRATOR,
        is_administrator=True,
    ),
    AccountSpec(
        "anact.lecteur", "Julien", "Mercier", "anact", "Chargé de documentation", Role.READER
    ),
    AccountSpec(
        "anact.contributeur",
        "Sophie",
        "Lambert",
        "anact",
        "Chargée de mission TMS et RPS",
        Role.CONTRIBUTOR,
    ),
    AccountSpec(
        "anact.coordinateur",
        "Nicolas",
        "Garnier",
        "anact",
        "Responsable des partenariats nationaux",
        Role.COORDINATOR,
    ),
    AccountSpec("inrs.lecteur", "Élodie", "Faure", "inrs", "Documentaliste", Role.READER),
    AccountSpec(
        "inrs.contributeur",
        "Thomas",
        "Roux",
        "inrs",
        "Ingénieur d’études, département Homme au travail",
        Role.CONTRIBUTOR,
    ),
    AccountSpec(
        "inrs.coordinateur",
        "Isabelle",
        "Chevalier",
        "inrs",
        "Chargée des relations institutionnelles",
        Role.COORDINATOR,
    ),
]

THEMES = [
    (
        "tms",
        "Troubles musculo-squelettiques (TMS)",
        "Prévention des TMS par l’action sur l’organisation et les situations de travail.",
    ),
    (
        "rps",
        "Risques psychosociaux (RPS)",
        "Prévention des risques psychosociaux : charge de travail, autonomie, relations.",
    ),
    (
        "prospective",
        "Prospective",
        "Anticiper les transformations du travail et leurs effets sur la santé.",
    ),
    (
        "qvt",
        "Qualité de vie au travail (QVT)",
        "Démarches de qualité de vie et des conditions de travail dans les entreprises.",
    ),
    (
        "mce",
        "Maladies chroniques évolutives (MCE)",
        "Travail et maladie chronique : maintien en emploi et organisation du travail.",
    ),
    (
        "usure",
        "Usure professionnelle",
        "Prévention de l’usure et allongement des parcours professionnels.",
    ),
]

CONTACTS = {
    # key: (first name, last name, organisation, job title)
    "delorme": ("Marc", "Delorme", "inrs", "Responsable de la mission prospective"),
    "fabre": ("Karine", "Fabre", "anact", "Chargée de mission prospective"),
    "renaud": ("Olivier", "Renaud", "aract_ara", "Chargé de mission TMS"),
    "vasseur": ("Catherine", "Vasseur", "aract_bre", "Chargée de mission maladies chroniques"),
    "bonnet": ("Laurent", "Bonnet", "aract_hdf", "Chargé de mission"),
    "perrin": ("Anne-Sophie", "Perrin", "inca", "Chargée de projet « Cancer et emploi »"),
    "marchand": (
        "Pierre",
        "Marchand",
        "cnav",
        "Responsable de la prévention de la perte d’autonomie",
    ),
    "giraud": (
        "Hélène",
        "Giraud",
        "cnamts",
        "Ingénieure-conseil, direction des risques professionnels",
    ),
    "lemaire": ("François", "Lemaire", "aract_pdl", "Chargé de mission services à la personne"),
}


# What the command prints ------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    username: str
    password: str
    organisation: str
    role: str


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    accounts: list[AccountRow]


def load() -> DemoResult:
    """Create what is missing of the demonstration; return the accounts to print."""
    with transaction.atomic(), translation.override("fr"):
        users = _ensure_users()
        loaded = False
        with _history_author(users["admin"]):
            organisations = _Organisations()
            _ensure_profiles(users, organisations)
            if not Agreement.objects.filter(reference=AGREEMENT_REFERENCE).exists():
                _Builder(timezone.localdate(), organisations, users).build()
                loaded = True
        return DemoResult(loaded=loaded, accounts=_account_rows())


@contextmanager
def _history_author(user):
    """Sign every history entry with ``user``, as the request middleware does for a person."""
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


class _Organisations:
    """The demo organisations, found by name (or acronym) and created only when missing."""

    def __init__(self):
        self.found = {}

    def __getitem__(self, key):
        if key not in self.found:
            spec = ORGANISATIONS_BY_KEY[key]
            organisation = (
                Organisation.objects.filter(name=spec.name).first()
                or Organisation.objects.filter(acronym=spec.acronym, kind=spec.kind).first()
            )
            if organisation is None:
                organisation = _save(
                    Organisation(
                        name=spec.name,
                        acronym=spec.acronym,
                        kind=spec.kind,
                        region=spec.region,
                        website=spec.website,
                        parent=self[spec.parent] if spec.parent else None,
                    )
                )
            self.found[key] = organisation
        return self.found[key]


def _ensure_users():
    User = get_user_model()
    users = {}
    for spec in ACCOUNTS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=spec.email,
                is_staff=spec.is_administrator,
                is_superuser=spec.is_administrator,
            )
            user.set_password(DEMO_PASSWORD)
            _save(user)
        users[spec.username] = user
    return users


def _ensure_profiles(users, organisations):
    for spec in ACCOUNTS:
        user = users[spec.username]
        if not StaffProfile.objects.filter(user=user).exists():
            _save(
                StaffProfile(
                    user=user,
                    organisation=organisations[spec.organisation],
                    job_title=spec.job_title,
                    role=spec.role,
                )
            )


def _account_rows():
    User = get_user_model()
    users = User.objects.filter(username__in=[spec.username for spec in ACCOUNTS])
    users = {user.username: user for user in users.select_related("profile__organisation")}
    rows = []
    for spec in ACCOUNTS:
        user = users.get(spec.username)
        if user is None:
            continue
        profile = getattr(user, "profile", None)
        rows.append(
            AccountRow(
                username=user.username,
                # check_password without a setter: printing the table never rewrites a hash.
                password=DEMO_PASSWORD
                if check_password(DEMO_PASSWORD, user.password)
                else "(modifié)",
                organisation=str(profile.organisation) if profile else "",
                role=str(profile.get_role_display()) if profile else "",
            )
        )
    return rows


def _update(instance, **values):
    """Change a few fields of a record; a reason a service left on it belongs to its own entry."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance.__dict__.pop("_change_reason", None)
    instance.full_clean()
    instance.save(update_fields=list(values))
    return instance


def _email(first_name, last_name, organisation_key):
    """A fictitious address: the reserved .example domain never reaches a real person."""
    local = f"{first_name}.{last_name}".lower().replace(" ", "-")
    local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    return f"{local}@{organisation_key.replace('_', '-')}.example"


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


def french_date(day):
    """“1er septembre 2026”: the demonstration's texts are written in French."""
    with translation.override("fr"):
        return long_day(day)


# The data ---------------------------------------------------------------------------------


class _Builder:
    def __init__(self, today, organisations, users):
        self.today = today
        self.year = today.year
        self.org = organisations
        self.users = users
        self.admin = users["admin"]
        self.themes = {}
        self.contacts = {}

    # Dates ------------------------------------------------------------------------------

    def on(self, years, month, day):
        """A fixed day of a year counted from this one (``years=-1``: last year)."""
        return datetime.date(self.year + years, month, day)

    def days(self, count):
        return self.today + datetime.timedelta(days=count)

    def past(self, day):
        return min(day, self.today)

    @staticmethod
    def at(day, hour, minute=0):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def backdate(self, instance, **values):
        """Move back the dates a service stamped today, in the record and in its history.

        The services stamp the day they run (minutes approved on, programme closed on); the
        demonstration replays a past year, so those stamps go back to when it happened.
        """
        type(instance)._default_manager.filter(pk=instance.pk).update(**values)
        instance.history.filter(**dict.fromkeys(values, self.today)).update(**values)
        for name, value in values.items():
            setattr(instance, name, value)

    # Build ------------------------------------------------------------------------------

    def build(self):
        self.create_themes()
        self.create_contacts()
        agreement = self.create_agreement()
        conventions = self.create_conventions(agreement)
        self.create_programmes(agreement, conventions)
        self.create_programming(agreement)
        self.attach_documents(agreement, conventions)
        self.create_home_care_experimentation()
        self.create_chronic_illness_experimentation()
        self.create_wear_experimentation(agreement)
        self.create_discussion(agreement)

    def create_discussion(self, agreement):
        """A thread on this year's first actions and on the last meeting held, with a mention:
        INRS's coordinator finds it under the bell."""
        actions = list(
            Action.objects.filter(
                programme__agreement=agreement, programme__year=self.year
            ).order_by("pk")[:2]
        )
        for action in actions:
            discussion_services.comment_create(
                target=action,
                author=self.users["anact.contributeur"],
                body=(
                    "Le premier jet est prêt. @inrs.coordinateur, pouvez-vous le relire "
                    "avant la réunion ?"
                ),
            )
            discussion_services.comment_create(
                target=action,
                author=self.users["inrs.contributeur"],
                body="Relu : **deux remarques** sur la méthode, envoyées par courriel.",
            )
        meeting = (
            Meeting.objects.filter(agreement=agreement, starts_at__lt=timezone.now())
            .order_by("-starts_at")
            .first()
        )
        if meeting is not None:
            discussion_services.comment_create(
                target=meeting,
                author=self.users["inrs.coordinateur"],
                body=(
                    "Merci à tous. @anact.coordinateur, la date du prochain comité vous convient ?"
                ),
            )

    def create_themes(self):
        for code, name, description in THEMES:
            theme = Theme.objects.filter(Q(code=code) | Q(name=name)).first()
            if theme is None:
                theme = _save(Theme(code=code, name=name, description=description))
            self.themes[code] = theme

    def create_contacts(self):
        for key, (first_name, last_name, organisation_key, job_title) in CONTACTS.items():
            organisation = self.org[organisation_key]
            contact = Contact.objects.filter(
                first_name=first_name, last_name=last_name, organisation=organisation
            ).first()
            if contact is None:
                contact = _save(
                    Contact(
                        first_name=first_name,
                        last_name=last_name,
                        organisation=organisation,
                        job_title=job_title,
                        email=_email(first_name, last_name, organisation_key),
                    )
                )
            self.contacts[key] = contact

    def signed_agreement(self, *, parties, signed_on, **fields):
        agreement = _save(Agreement(signed_on=signed_on, **fields))
        agreement = agreement_negotiate(agreement=agreement, user=self.admin)
        for organisation, signatory_name, signatory_title in parties:
            _save(
                AgreementParty(
                    agreement=agreement,
                    organisation=organisation,
                    signatory_name=signatory_name,
                    signatory_title=signatory_title,
                    signed_on=signed_on,
                    status=AgreementParty.Status.ACCEPTED,  # they signed it
                )
            )
        return agreement_sign(agreement=agreement, user=self.admin, signed_on=signed_on)

    def create_agreement(self):
        return self.signed_agreement(
            reference=AGREEMENT_REFERENCE,
            title="Accord-cadre de partenariat entre l’Anact et l’INRS",
            purpose=(
                "Afficher la complémentarité de l’Anact et de l’INRS et donner un cadre global à "
                "leurs actions communes sur la prévention en santé et sécurité au travail. Plutôt "
                "que de travailler séparément sur le même sujet, les deux organismes combinent "
                "leurs approches pour construire ensemble une offre de service coordonnée, "
                "répondant aux besoins exprimés par leurs financeurs et par les usagers.\n\n"
                "Un programme de travail commun est fixé chaque année ; des rendez-vous réguliers "
                "passent en revue les chantiers de chacun ; dès la rentrée, les parties préparent "
                "ensemble la programmation des années suivantes. Pour chaque thème de travail, "
                "une convention ad hoc annexée au présent accord prévoit les conditions de la "
                "coopération."
            ),
            signed_on=self.on(-2, 12, 12),
            starts_on=self.on(-1, 1, 1),
            ends_on=self.on(1, 12, 31),
            tacit_renewal=True,
            notice_period_months=6,
            steering_committee=(
                "Comité de pilotage paritaire : les directeurs généraux de l’Anact et de l’INRS "
                "(ou leurs représentants), les responsables des partenariats et les chefs de "
                "projet concernés. Il adopte le programme de travail commun de l’année, en dresse "
                "le bilan et arbitre les nouvelles conventions ad hoc. Des rendez-vous de suivi "
                "trimestriels passent en revue l’avancement des chantiers."
            ),
            meeting_frequency=Agreement.MeetingFrequency.QUARTERLY,
            parties=[
                (self.org["anact"], "Hervé Lanouzière", "Directeur général"),
                (self.org["inrs"], "Stéphane Pimbert", "Directeur général"),
            ],
        )

    # Documents --------------------------------------------------------------------------

    def document(self, title, kind, file_name, lines, **attached_to):
        """A small PDF attached as a person would upload it: checked, then stored."""
        upload = SimpleUploadedFile(file_name, sample_pdf(title, lines), "application/pdf")
        document = Document(
            title=title, kind=kind, file=upload, uploaded_by=self.admin, **attached_to
        )
        record_upload(document, validate_upload(upload))
        return _save(document)

    def attach_documents(self, agreement, conventions):
        signed = french_date(agreement.signed_on)
        self.document(
            "Accord-cadre signé (copie numérisée)",
            Document.Kind.SIGNED_TEXT,
            "accord-cadre-anact-inrs-signe.pdf",
            [
                agreement.title,
                f"Référence {agreement.reference}, signé le {signed}.",
                "Parties : l’Anact et l’INRS, représentés par leurs directeurs généraux.",
                "Copie de démonstration : le texte original est conservé par chaque partie.",
            ],
            agreement=agreement,
        )
        evaluation = conventions["evaluation"]
        self.document(
            "Convention signée (copie numérisée)",
            Document.Kind.SIGNED_TEXT,
            "convention-evaluation-tms-rps-signee.pdf",
            [
                evaluation.title,
                f"Annexe n° {evaluation.annex_number} à l’accord-cadre {agreement.reference}.",
                f"Signée le {french_date(evaluation.signed_on)}.",
                "Copie de démonstration.",
            ],
            convention=evaluation,
        )
        meeting = (
            agreement.meetings.filter(status=Meeting.Status.MINUTES_APPROVED)
            .order_by("-starts_at")
            .first()
        )
        self.document(
            "Support de présentation de la réunion",
            Document.Kind.MINUTES,
            "support-reunion.pdf",
            [
                meeting.title,
                f"Réunion du {french_date(timezone.localtime(meeting.starts_at).date())}.",
                "1. Avancement des chantiers du programme de travail commun.",
                "2. Conventions ad hoc en cours.",
                "3. Suites à donner.",
            ],
            meeting=meeting,
        )

    # Conventions ------------------------------------------------------------------------

    def convention(self, agreement, *, parties, commitments, sign_on=None, **fields):
        convention = convention_services.convention_create(
            agreement=agreement, user=self.admin, **fields
        )
        for key, signatory_name, signatory_title in parties:
            _save(
                ConventionParty(
                    convention=convention,
                    organisation=self.org[key],
                    signatory_name=signatory_name,
                    signatory_title=signatory_title,
                    signed_on=sign_on,
                )
            )
        for key, description, person_days, budget in commitments:
            _save(
                Commitment(
                    convention=convention,
                    organisation=self.org[key],
                    description=description,
                    person_days=Decimal(person_days),
                    budget=Decimal(budget),
                )
            )
        convention = convention_services.convention_negotiate(
            convention=convention, user=self.admin
        )
        if sign_on:
            convention = convention_services.convention_sign(
                convention=convention, user=self.admin, signed_on=sign_on
            )
            convention = convention_services.convention_enter_into_force(
                convention=convention, user=self.admin
            )
        return convention

    def create_conventions(self, agreement):
        directors = [
            ("anact", "Hervé Lanouzière", "Directeur général"),
            ("inrs", "Stéphane Pimbert", "Directeur général"),
        ]
        evaluation = self.convention(
            agreement,
            theme=self.themes["tms"],
            title="Évaluation conjointe des actions de prévention des TMS et des RPS",
            purpose=(
                "Évaluer ensemble des actions de prévention des troubles musculo-squelettiques et "
                "des risques psychosociaux menées dans les entreprises, pour en tirer des "
                "repères communs à l’usage des préventeurs."
            ),
            signed_on=self.on(-1, 3, 3),
            starts_on=self.on(-1, 3, 15),
            ends_on=self.on(-1, 12, 31),
            financial_terms=(
                "Chaque partie prend en charge les frais de ses propres agents. Les frais "
                "d’enquête de terrain (déplacements, transcriptions) sont partagés à parts égales, "
                "dans la limite de 40 000 € par partie."
            ),
            intellectual_property=(
                "Les résultats sont la propriété conjointe des parties. Toute publication "
                "mentionne les deux organismes et est soumise à l’accord préalable de l’autre "
                "partie, qui répond dans un délai d’un mois."
            ),
            confidentiality=(
                "Les données recueillies dans les entreprises sont anonymisées ; les parties "
                "s’interdisent de communiquer les informations nominatives dont elles ont "
                "connaissance."
            ),
            follow_up_arrangements=(
                "Un point d’avancement à chaque rendez-vous de suivi de l’accord-cadre et un "
                "comité technique réunissant les chefs de projet tous les deux mois."
            ),
            parties=directors,
            sign_on=self.on(-1, 3, 3),
            commitments=[
                (
                    "anact",
                    "Conduire les entretiens dans les entreprises accompagnées par le réseau "
                    "Anact-Aract et analyser les démarches sous l’angle de l’organisation du "
                    "travail.",
                    "45",
                    "20000",
                ),
                (
                    "inrs",
                    "Apporter la méthode d’évaluation, exploiter les données de sinistralité et "
                    "rédiger la synthèse des résultats.",
                    "50",
                    "25000",
                ),
            ],
        )
        extended_to = self.days(60)
        convention_services.amendment_create(
            convention=evaluation,
            user=self.admin,
            signed_on=self.on(-1, 11, 20),
            summary=(
                f"Prolongation de la convention jusqu’au {french_date(extended_to)} pour achever "
                "l’analyse des données et la rédaction du rapport final ; les autres stipulations "
                "demeurent inchangées."
            ),
        )
        _update(evaluation, ends_on=extended_to)

        foresight = self.convention(
            agreement,
            theme=self.themes["prospective"],
            title="Prospective : « Le travail dans 40 ans »",
            purpose=(
                "Associer l’Anact au chantier de prospective lancé par l’INRS et animer ensemble "
                "le groupe de travail « Le travail dans 40 ans »."
            ),
            signed_on=self.on(-1, 3, 20),
            starts_on=self.on(-1, 4, 1),
            ends_on=self.on(1, 12, 31),
            financial_terms="Pas de flux financier entre les parties ; chacune finance ses agents.",
            intellectual_property=(
                "Les notes du groupe de travail sont publiées sous le double timbre Anact-INRS."
            ),
            confidentiality="Les échanges du groupe de travail restent internes jusqu’à "
            "publication.",
            follow_up_arrangements="Le groupe de travail rend compte au comité de pilotage.",
            parties=directors,
            sign_on=self.on(-1, 3, 20),
            commitments=[
                (
                    "inrs",
                    "Piloter le chantier de prospective, animer le groupe de travail et éditer "
                    "les notes de scénarios.",
                    "60",
                    "15000",
                ),
                (
                    "anact",
                    "Apporter les analyses du réseau Anact-Aract sur les transformations de "
                    "l’organisation du travail ; deux chargés de mission au groupe de travail.",
                    "30",
                    "0",
                ),
            ],
        )

        chronic_illness = self.convention(
            agreement,
            theme=self.themes["mce"],
            title="Maintien en emploi des personnes atteintes de maladies chroniques évolutives",
            purpose=(
                "Croiser les travaux de l’INRS sur la santé au travail et ceux du réseau "
                "Anact-Aract sur l’organisation du travail pour outiller les entreprises face aux "
                "maladies chroniques évolutives, avec l’Institut national du cancer."
            ),
            starts_on=self.days(90),
            ends_on=agreement.ends_on,
            financial_terms="À préciser : participation de l’INCa aux frais d’édition.",
            parties=[*directors, ("inca", "", "")],
            commitments=[
                (
                    "inca",
                    "Mettre à disposition les résultats de ses enquêtes sur la vie après un "
                    "cancer et cofinancer l’édition du guide.",
                    "10",
                    "12000",
                ),
                (
                    "anact",
                    "Capitaliser les enseignements de l’expérimentation conduite avec cinq Aract.",
                    "25",
                    "0",
                ),
            ],
        )
        return {
            "evaluation": evaluation,
            "foresight": foresight,
            "chronic_illness": chronic_illness,
        }

    # Actions ----------------------------------------------------------------------------

    def action(
        self,
        programme,
        *,
        kind,
        title,
        theme,
        lead,
        partners=(),
        convention=None,
        start,
        end,
        description="",
        objectives="",
        resources=(),
        contacts=(),
    ):
        action = _save(
            Action(
                programme=programme,
                kind=kind,
                title=title,
                theme=self.themes[theme],
                lead_organisation=self.org[lead],
                convention=convention,
                planned_start=start,
                planned_end=end,
                description=description,
                objectives=objectives,
            )
        )
        action.partners.set([self.org[key] for key in partners])
        for key, person_days, budget in resources:
            _save(
                ActionResource(
                    action=action,
                    organisation=self.org[key],
                    person_days=Decimal(person_days),
                    budget=Decimal(budget),
                )
            )
        self.add_contacts(action, contacts)
        return action

    def add_contacts(self, action, people, role=ActionContact.Role.CONTACT):
        for person in people:
            if person in self.users:
                user = self.users[person]
                _save(
                    ActionContact(
                        action=action, organisation=user.profile.organisation, user=user, role=role
                    )
                )
            else:
                contact = self.contacts[person]
                _save(
                    ActionContact(
                        action=action,
                        organisation=contact.organisation,
                        contact=contact,
                        role=role,
                    )
                )

    def move(self, action, *names, progress=None):
        """Run the action's transitions through the service, then record its progress."""
        for name in names:
            action = action_transition(action=action, user=self.admin, name=name)
        if progress is not None and action.progress != progress:
            _update(action, progress=progress)
        return action

    def deliverable(self, action, title, kind, due_on, delivered_on=None):
        return _save(
            Deliverable(
                action=action, title=title, kind=kind, due_on=due_on, delivered_on=delivered_on
            )
        )

    # Each party's programming of next year ------------------------------------------------

    def create_programming(self, agreement):
        """What Anact and INRS each plan on their own for next year ("dès la rentrée"), with
        a few overlaps: a TMS study at INRS and a TMS intervention at Anact (still to
        coordinate), two RPS projects already turned into a joint action of next year's
        programme (in preparation), a prospective note coordinated without one."""
        year = self.year + 1
        people = {key: self.users[key] for key in ("anact.contributeur", "inrs.contributeur")}
        if self.today < programming_services.preparation_opens_on(year):
            # Before la rentrée, Anact's coordinator opened the programming early.
            _save(
                ProgrammingOpening(
                    agreement=agreement, year=year, opened_by=self.users["anact.coordinateur"]
                )
            )
        rows = [
            (
                "inrs",
                "tms",
                "study",
                "confirmed",
                (1, 15),
                (10, 30),
                "Étude sur les TMS dans la logistique et les entrepôts",
                "Mesurer les contraintes physiques des préparateurs de commandes et tester des "
                "aides techniques en entrepôt.",
            ),
            (
                "anact",
                "tms",
                "intervention",
                "planned",
                (3, 1),
                (12, 15),
                "Intervention TMS en entreprises de la logistique",
                "Accompagner une dizaine d’entrepôts dans une démarche de prévention des TMS par "
                "l’organisation du travail.",
            ),
            (
                "inrs",
                "rps",
                "publication",
                "confirmed",
                (2, 1),
                (9, 30),
                "Brochure RPS et travail hybride",
                "Une brochure sur la prévention des risques psychosociaux en travail hybride.",
            ),
            (
                "anact",
                "rps",
                "tool",
                "planned",
                (4, 1),
                (11, 30),
                "Outil de diagnostic RPS du travail hybride",
                "Un outil de diagnostic des risques psychosociaux liés au travail hybride.",
            ),
            (
                "anact",
                "qvt",
                "training",
                "idea",
                (9, 1),
                (12, 15),
                "Formation des managers de proximité à la QVCT",
                "Des sessions régionales avec le réseau des Aract.",
            ),
            (
                "inrs",
                "prospective",
                "study",
                "planned",
                (1, 15),
                (6, 30),
                "Exercice de prospective : le travail en 2040",
                "Scénarios d’évolution du travail et de leurs effets sur la santé.",
            ),
            (
                "anact",
                "prospective",
                "publication",
                "idea",
                (5, 1),
                (12, 1),
                "Note de prospective sur le travail en 2040",
                "Une note de synthèse des transformations du travail à venir.",
            ),
            (
                "inrs",
                "tms",
                "training",
                "dropped",
                (10, 1),
                (12, 15),
                "Formation en ligne TMS pour les préventeurs",
                "Abandonnée au profit de la formation existante.",
            ),
        ]
        # The sector and the COP priority, where they apply.
        scope = {
            "Étude sur les TMS dans la logistique et les entrepôts": ("industry", "prevention"),
            "Intervention TMS en entreprises de la logistique": ("small_firms", "prevention"),
            "Brochure RPS et travail hybride": ("", "qvt"),
            "Outil de diagnostic RPS du travail hybride": ("large_companies", "qvt"),
            "Formation des managers de proximité à la QVCT": ("", "qvt"),
            "Formation en ligne TMS pour les préventeurs": ("health", "wear"),
        }
        projects = {}
        for organisation, theme, kind, certainty, start, end, title, summary in rows:
            sector, priority = scope.get(title, ("", ""))
            projects[title] = _save(
                PlannedProject(
                    agreement=agreement,
                    organisation=self.org[organisation],
                    year=year,
                    theme=self.themes[theme],
                    kind=kind,
                    sector=sector,
                    priority=priority,
                    certainty=certainty,
                    planned_start=datetime.date(year, *start),
                    planned_end=datetime.date(year, *end),
                    title=title,
                    summary=summary,
                    contact=people[f"{organisation}.contributeur"],
                )
            )
        coordinator = self.admin  # the demonstration's changes are signed by its administrator
        joint = [
            projects["Outil de diagnostic RPS du travail hybride"],
            projects["Brochure RPS et travail hybride"],
        ]
        programme = programming_services.proposal_programme(
            agreement=agreement, year=year, user=coordinator
        )
        initial = programming_services.merged_action_initial(joint)
        action = self.action(
            programme,
            kind=Action.Kind.PUBLICATION,
            title="Prévenir les RPS du travail hybride : brochure et outil de diagnostic",
            theme="rps",
            lead="anact",
            partners=["inrs"],
            start=initial["planned_start"],
            end=initial["planned_end"],
            description=initial["description"],
        )
        programming_services.link_projects(projects=joint, action=action, user=coordinator)
        for title in (
            "Exercice de prospective : le travail en 2040",
            "Note de prospective sur le travail en 2040",
        ):
            programming_services.project_coordinate(
                project=projects[title],
                user=coordinator,
                note="Les deux agences échangent leurs scénarios et se relisent mutuellement.",
            )

    def create_programmes(self, agreement, conventions):
        previous = self.create_previous_programme(agreement, conventions)
        current = self.create_current_programme(agreement, conventions, previous)
        self.create_current_meetings(agreement, current, conventions)

    def create_previous_programme(self, agreement, conventions):
        year = self.year - 1
        programme = _save(
            Programme(
                agreement=agreement,
                year=year,
                title=f"Programme de travail commun {year}",
                summary=(
                    "Première année de l’accord-cadre : évaluation conjointe des actions de "
                    "prévention des TMS et des RPS, lancement du groupe de travail de prospective, "
                    "premières productions communes."
                ),
            )
        )
        a = {}
        a["study"] = self.action(
            programme,
            kind=Action.Kind.STUDY,
            title="Évaluation conjointe des actions de prévention des TMS et des RPS",
            theme="tms",
            lead="anact",
            partners=["inrs", "aract_ara", "aract_pdl"],
            convention=conventions["evaluation"],
            start=self.on(-1, 3, 15),
            end=self.on(-1, 12, 31),
            description=(
                "Évaluer une vingtaine d’actions de prévention des TMS et des RPS conduites en "
                "entreprise : démarche, acteurs mobilisés, effets sur les situations de travail."
            ),
            objectives="Dégager des repères communs d’évaluation pour les préventeurs.",
            resources=[("anact", "30", "12000"), ("inrs", "35", "15000")],
            contacts=["anact.contributeur", "inrs.contributeur", "renaud"],
        )
        a["group"] = self.action(
            programme,
            kind=Action.Kind.WORKING_GROUP,
            title="Groupe de travail « Le travail dans 40 ans »",
            theme="prospective",
            lead="inrs",
            partners=["anact"],
            convention=conventions["foresight"],
            start=self.on(-1, 1, 15),
            end=self.on(-1, 12, 15),
            description=(
                "Groupe de travail commun sur la prospective, dans le cadre du chantier lancé par "
                "l’INRS : quelles transformations du travail, quels risques, quelle prévention "
                "dans quarante ans ?"
            ),
            objectives="Construire des scénarios du travail à l’horizon de quarante ans.",
            resources=[("inrs", "25", "8000"), ("anact", "12", "0")],
            contacts=["inrs.coordinateur"],
        )
        self.add_contacts(
            a["group"],
            ["delorme", "fabre", "inrs.contributeur", "anact.coordinateur"],
            role=ActionContact.Role.MEMBER,
        )
        a["guide"] = self.action(
            programme,
            kind=Action.Kind.PUBLICATION,
            title="Guide commun « Prévenir les RPS dans les TPE-PME »",
            theme="rps",
            lead="anact",
            partners=["inrs"],
            start=self.on(-1, 2, 1),
            end=self.on(-1, 10, 31),
            objectives="Un guide pratique à destination des dirigeants de petites entreprises.",
            resources=[("anact", "20", "6000"), ("inrs", "15", "9000")],
            contacts=["anact.contributeur", "inrs.contributeur"],
        )
        a["colloquium"] = self.action(
            programme,
            kind=Action.Kind.CONFERENCE,
            title="Colloque « TMS : agir sur l’organisation du travail »",
            theme="tms",
            lead="inrs",
            partners=["anact", "aract_ara"],
            start=self.on(-1, 4, 1),
            end=self.on(-1, 11, 30),
            resources=[("inrs", "20", "30000"), ("anact", "8", "5000")],
            contacts=["inrs.contributeur", "anact.contributeur"],
        )
        a["training"] = self.action(
            programme,
            kind=Action.Kind.TRAINING,
            title="Module de formation commun « Intégrer l’organisation du travail dans la "
            "prévention des TMS »",
            theme="tms",
            lead="inrs",
            partners=["anact"],
            start=self.on(-1, 9, 1),
            end=self.on(-1, 12, 15),
            objectives="Former les préventeurs des Carsat et des Aract à une approche commune.",
            resources=[("inrs", "15", "4000"), ("anact", "10", "0")],
            contacts=["inrs.contributeur"],
        )
        a["web"] = self.action(
            programme,
            kind=Action.Kind.INFORMATION,
            title="Dossier web commun sur la qualité de vie au travail",
            theme="qvt",
            lead="anact",
            partners=["inrs"],
            start=self.on(-1, 2, 1),
            end=self.on(-1, 5, 31),
            resources=[("anact", "6", "0"), ("inrs", "4", "0")],
            contacts=["anact.contributeur"],
        )
        a["webinar"] = self.action(
            programme,
            kind=Action.Kind.COMMUNICATION,
            title="Webinaire commun « RPS et télétravail »",
            theme="rps",
            lead="anact",
            partners=["inrs"],
            start=self.on(-1, 6, 1),
            end=self.on(-1, 6, 30),
            contacts=["anact.contributeur"],
        )
        self.deliverable(
            a["guide"],
            "Guide « Prévenir les RPS dans les TPE-PME »",
            Deliverable.Kind.GUIDE,
            self.on(-1, 10, 15),
            self.on(-1, 10, 8),
        )
        self.deliverable(
            a["colloquium"],
            "Colloque à Paris (250 participants)",
            Deliverable.Kind.EVENT,
            self.on(-1, 11, 18),
            self.on(-1, 11, 18),
        )
        self.deliverable(
            a["web"],
            "Dossier web « Qualité de vie au travail »",
            Deliverable.Kind.OTHER,
            self.on(-1, 5, 15),
            self.on(-1, 5, 20),
        )
        self.deliverable(
            a["study"],
            "Grille d’analyse commune des actions de prévention",
            Deliverable.Kind.TOOL,
            self.on(-1, 7, 1),
            self.on(-1, 7, 10),
        )

        programme_propose(programme=programme, user=self.admin)
        launch = self.meeting(
            agreement,
            kind=Meeting.Kind.STEERING_COMMITTEE,
            title="Comité de pilotage de lancement de l’accord-cadre",
            day=self.on(-1, 2, 4),
            place="Anact, Lyon",
            people=self.steering_people(),
        )
        launch_items = self.agenda(
            launch,
            [
                ("Installation du comité de pilotage", {}),
                (f"Programme de travail commun {year}", {"programme": programme}),
                ("Conventions ad hoc à préparer", {}),
                ("Calendrier des rendez-vous de suivi", {}),
            ],
        )
        launch = self.hold(launch)
        programme = self.adopt(programme, launch)
        self.conclude(
            launch,
            minutes=(
                "Les directeurs généraux installent le comité de pilotage de l’accord-cadre. "
                f"Le programme de travail commun {year} est présenté chantier par chantier et "
                "adopté. Deux conventions ad hoc seront préparées : l’une pour l’évaluation "
                "conjointe des actions de prévention des TMS et des RPS, l’autre pour le "
                "chantier de prospective « Le travail dans 40 ans ». Les rendez-vous de suivi "
                "auront lieu chaque trimestre, en alternance à Lyon et à Paris."
            ),
            decisions=[
                (launch_items[1], f"Le programme de travail commun {year} est adopté."),
                (
                    launch_items[2],
                    "Deux conventions ad hoc seront soumises à la signature en mars : évaluation "
                    "TMS-RPS et prospective.",
                ),
            ],
            tasks=[
                (
                    "Rédiger le projet de convention ad hoc sur l’évaluation TMS-RPS",
                    "anact.coordinateur",
                    self.on(-1, 2, 28),
                    self.on(-1, 2, 25),
                ),
                (
                    "Proposer le calendrier des rendez-vous de suivi",
                    "inrs.coordinateur",
                    self.on(-1, 2, 20),
                    self.on(-1, 2, 18),
                ),
            ],
            approved_on=self.on(-1, 3, 3),
        )

        # The year goes by: the chantiers move on.
        a["study"] = self.move(a["study"], "start", progress=30)
        a["group"] = self.move(a["group"], "start", progress=20)
        a["guide"] = self.move(a["guide"], "start", progress=60)
        a["colloquium"] = self.move(a["colloquium"], "start", progress=35)
        a["web"] = self.move(a["web"], "start", "complete")
        june = self.meeting(
            agreement,
            kind=Meeting.Kind.REVIEW,
            title="Rendez-vous de suivi de juin",
            day=self.on(-1, 6, 16),
            place="INRS, Paris",
            people=self.review_people(),
        )
        self.review_chantiers(
            june,
            [
                (a["study"], "Entretiens en cours dans huit entreprises sur vingt."),
                (a["group"], "Trois séances tenues ; premières tendances identifiées."),
                (a["guide"], "Maquette validée ; relecture croisée en cours."),
                (a["colloquium"], "Programme arrêté, salle réservée."),
                (a["training"], "Démarrage prévu à la rentrée."),
                (a["web"], "Dossier mis en ligne le 20 mai."),
                (a["webinar"], "Date à confirmer."),
            ],
        )
        june = self.hold(june)
        self.conclude(
            june,
            minutes=(
                "Revue des chantiers du programme commun. L’évaluation TMS-RPS avance au rythme "
                "prévu. Le dossier web sur la QVT est en ligne. Le webinaire « RPS et "
                "télétravail » ne trouve pas de date : il sera réexaminé à la rentrée."
            ),
            decisions=[
                (None, "Le guide RPS sera publié en octobre sous le double timbre Anact-INRS."),
            ],
            tasks=[
                (
                    "Transmettre la maquette du guide RPS aux relecteurs de l’INRS",
                    "anact.contributeur",
                    self.on(-1, 6, 30),
                    self.on(-1, 6, 27),
                ),
            ],
            approved_on=self.on(-1, 7, 2),
        )

        october = self.meeting(
            agreement,
            kind=Meeting.Kind.REVIEW,
            title="Rendez-vous de suivi d’octobre",
            day=self.on(-1, 10, 13),
            place="Anact, Lyon",
            people=self.review_people(),
        )
        meeting_cancel(meeting=october, user=self.admin)

        # La rentrée: next year is prepared from this one.
        a["webinar"] = self.move(a["webinar"], "cancel")
        a["training"] = self.move(a["training"], "postpone")
        a["guide"] = self.move(a["guide"], "complete")
        a["colloquium"] = self.move(a["colloquium"], "complete")
        a["study"] = self.move(a["study"], progress=60)
        a["group"] = self.move(a["group"], progress=45)
        programming = self.meeting(
            agreement,
            kind=Meeting.Kind.PROGRAMMING,
            title=f"Réunion de programmation {self.year}",
            day=self.on(-1, 9, 22),
            place="Visioconférence",
            video_link="https://visio.example/anact-inrs-programmation",
            people=self.review_people(),
        )
        programming_items = self.agenda(
            programming,
            [
                (f"Bilan d’étape du programme {year}", {"programme": programme}),
                ("Chantiers non achevés à reconduire", {}),
                (f"Nouveaux chantiers proposés pour {self.year}", {}),
            ],
        )
        programming = self.hold(programming)
        self.conclude(
            programming,
            minutes=(
                f"Les parties préparent ensemble la programmation {self.year}. Les chantiers non "
                "achevés (évaluation TMS-RPS, groupe de prospective, module de formation) sont "
                "reconduits. L’INRS propose un colloque national sur « Le travail dans 40 ans » ; "
                "l’Anact propose une expertise sur l’usure dans l’aide à domicile et une "
                "expérimentation sur l’usure dans les TPE-PME."
            ),
            decisions=[
                (
                    programming_items[1],
                    f"Les chantiers non achevés sont reconduits dans le programme {self.year}.",
                ),
            ],
            tasks=[
                (
                    f"Chiffrer les moyens de chaque chantier {self.year}",
                    "anact.contributeur",
                    self.on(-1, 10, 31),
                    self.on(-1, 10, 28),
                ),
            ],
            approved_on=self.on(-1, 10, 6),
        )
        return programme, a

    def create_current_programme(self, agreement, conventions, previous):
        previous_programme, old = previous
        programme, carried = programme_prepare_next_year(
            programme=previous_programme, user=self.admin
        )
        _update(
            programme,
            title=f"Programme de travail commun {self.year}",
            summary=(
                "Deuxième année de l’accord-cadre : achever l’évaluation TMS-RPS et en "
                "transférer les résultats, poursuivre la prospective, ouvrir les chantiers sur "
                "l’usure professionnelle et les maladies chroniques évolutives."
            ),
        )
        continued = {action.continues_id: action for action in carried}
        a = {name: continued[old[name].pk] for name in ("study", "group", "training")}
        # Carried over with their contacts, partners and resources, and still in progress.
        for action in a.values():
            _update(action, planned_start=self.on(0, 1, 5), planned_end=self.on(0, 12, 15))

        a["synthesis"] = self.action(
            programme,
            kind=Action.Kind.PUBLICATION,
            title="Publication commune : synthèse de l’évaluation des actions de prévention "
            "TMS-RPS",
            theme="tms",
            lead="inrs",
            partners=["anact"],
            convention=conventions["evaluation"],
            start=self.on(0, 9, 1),
            end=self.on(0, 12, 31),
            objectives="Un article de synthèse et une brochure pour les préventeurs.",
            resources=[("inrs", "15", "8000"), ("anact", "10", "0")],
            contacts=["inrs.contributeur", "anact.contributeur"],
        )
        a["colloquium"] = self.action(
            programme,
            kind=Action.Kind.CONFERENCE,
            title="Colloque national « Le travail dans 40 ans »",
            theme="prospective",
            lead="inrs",
            partners=["anact"],
            convention=conventions["foresight"],
            start=self.on(0, 6, 1),
            end=self.on(0, 12, 31),
            resources=[("inrs", "25", "45000"), ("anact", "10", "10000")],
            contacts=["inrs.coordinateur", "anact.coordinateur"],
        )
        a["expertise"] = self.action(
            programme,
            kind=Action.Kind.EXPERTISE,
            title="Expertise conjointe sur l’usure professionnelle dans l’aide à domicile",
            theme="usure",
            lead="anact",
            partners=["inrs", "aract_pdl"],
            start=self.on(0, 1, 15),
            end=self.on(0, 12, 15),
            description=(
                "Appui conjoint aux branches de l’aide à domicile : diagnostic des facteurs "
                "d’usure et pistes d’organisation du travail."
            ),
            resources=[("anact", "20", "5000"), ("inrs", "15", "0"), ("aract_pdl", "10", "0")],
            contacts=["anact.contributeur", "lemaire"],
        )
        a["transfer"] = self.action(
            programme,
            kind=Action.Kind.TRANSFER,
            title="Transfert des résultats : kit d’intervention TMS pour le réseau Anact-Aract",
            theme="tms",
            lead="anact",
            partners=["inrs", "aract_ara", "aract_hdf"],
            convention=conventions["evaluation"],
            start=self.on(0, 2, 1),
            end=self.on(0, 12, 31),
            objectives="Mettre les repères de l’évaluation à la disposition des Aract.",
            resources=[("anact", "25", "10000"), ("inrs", "10", "0")],
            contacts=["anact.contributeur", "renaud", "bonnet"],
        )
        a["campaign"] = self.action(
            programme,
            kind=Action.Kind.INFORMATION,
            title="Campagne d’information « Maladie chronique et travail »",
            theme="mce",
            lead="anact",
            partners=["inrs"],
            start=self.on(0, 1, 5),
            end=self.on(0, 3, 31),
            resources=[("anact", "8", "7000"), ("inrs", "3", "0")],
            contacts=["anact.contributeur"],
        )
        a["newsletter"] = self.action(
            programme,
            kind=Action.Kind.COMMUNICATION,
            title="Lettre d’information commune Anact-INRS",
            theme="qvt",
            lead="inrs",
            partners=["anact"],
            start=self.on(0, 1, 5),
            end=self.on(0, 12, 31),
            description="Deux numéros par an présentant les chantiers communs.",
            resources=[("inrs", "6", "2000"), ("anact", "6", "2000")],
            contacts=["inrs.contributeur"],
        )
        a["wear_study"] = self.action(
            programme,
            kind=Action.Kind.STUDY,
            title="Étude sur les pratiques de prévention de l’usure dans les TPE",
            theme="usure",
            lead="inrs",
            partners=["anact"],
            start=self.on(0, 3, 1),
            end=self.on(0, 12, 31),
            resources=[("inrs", "30", "20000")],
            contacts=["inrs.contributeur"],
        )
        a["qvt_day"] = self.action(
            programme,
            kind=Action.Kind.CONFERENCE,
            title="Journée d’échanges sur la QVT dans les établissements de santé",
            theme="qvt",
            lead="anact",
            partners=["inrs"],
            start=self.on(0, 5, 1),
            end=self.on(0, 6, 30),
            contacts=["anact.contributeur"],
        )
        a["experimentation"] = self.action(
            programme,
            kind=Action.Kind.EXPERIMENTATION,
            title="Expérimentation « Prévenir l’usure dans les TPE-PME »",
            theme="usure",
            lead="anact",
            partners=["inrs", "aract_ges", "aract_pdl"],
            start=self.on(0, 10, 1),
            end=self.on(1, 12, 31),
            resources=[("anact", "30", "15000"), ("inrs", "10", "0")],
            contacts=["anact.coordinateur"],
        )

        # Deliverables: some delivered, some due within a month, some overdue.
        self.deliverable(
            a["study"],
            "Rapport intermédiaire d’évaluation",
            Deliverable.Kind.REPORT,
            self.past(self.on(0, 3, 31)),
            self.past(self.on(0, 3, 28)),
        )
        self.deliverable(
            a["study"], "Rapport final d’évaluation", Deliverable.Kind.REPORT, self.days(28)
        )
        self.deliverable(
            a["group"],
            "Note de prospective n° 1 : scénarios du travail dans 40 ans",
            Deliverable.Kind.REPORT,
            self.days(-25),
        )
        self.deliverable(
            a["training"],
            "Module de formation « Organisation du travail et TMS »",
            Deliverable.Kind.TRAINING_MODULE,
            self.days(75),
        )
        self.deliverable(
            a["synthesis"],
            "Article de synthèse dans la revue Hygiène et sécurité du travail",
            Deliverable.Kind.ARTICLE,
            self.days(100),
        )
        self.deliverable(
            a["colloquium"],
            "Colloque national à Paris",
            Deliverable.Kind.EVENT,
            self.days(120),
        )
        self.deliverable(
            a["expertise"],
            "Rapport d’expertise remis aux branches de l’aide à domicile",
            Deliverable.Kind.REPORT,
            self.days(-10),
        )
        self.deliverable(
            a["transfer"],
            "Kit d’intervention TMS pour les Aract",
            Deliverable.Kind.TOOL,
            self.days(12),
        )
        self.deliverable(
            a["campaign"],
            "Dépliant « Maladie chronique et travail : en parler, s’organiser »",
            Deliverable.Kind.GUIDE,
            self.past(self.on(0, 3, 15)),
            self.past(self.on(0, 3, 10)),
        )
        self.deliverable(
            a["newsletter"],
            "Lettre d’information n° 1",
            Deliverable.Kind.ARTICLE,
            self.past(self.on(0, 6, 30)),
            self.past(self.on(0, 6, 25)),
        )
        self.deliverable(
            a["newsletter"], "Lettre d’information n° 2", Deliverable.Kind.ARTICLE, self.days(20)
        )

        programme_propose(programme=programme, user=self.admin)
        copil = self.meeting(
            agreement,
            kind=Meeting.Kind.STEERING_COMMITTEE,
            title="Comité de pilotage annuel",
            day=self.on(-1, 12, 9),
            place="INRS, Paris",
            people=self.steering_people(),
        )
        self.review_chantiers(
            copil,
            [
                (old["study"], "Reconduite : rapport final attendu l’an prochain."),
                (old["group"], "Reconduit ; une note de scénarios en préparation."),
                (old["guide"], "Guide publié en octobre."),
                (old["colloquium"], "250 participants ; actes en ligne."),
                (old["training"], "Reporté faute de formateurs disponibles ; reconduit."),
                (old["web"], "Dossier en ligne."),
                (old["webinar"], "Abandonné : le sujet sera traité dans la lettre commune."),
            ],
        )
        items = self.agenda(
            copil,
            [
                (f"Bilan du programme {self.year - 1}", {"programme": previous_programme}),
                (f"Adoption du programme {self.year}", {"programme": programme}),
                (
                    "Avenant n° 1 à la convention d’évaluation TMS-RPS",
                    {"convention": conventions["evaluation"]},
                ),
                (
                    "Projet de convention sur les maladies chroniques évolutives",
                    {"convention": conventions["chronic_illness"]},
                ),
            ],
        )
        copil = self.hold(copil)
        self.adopt(programme, copil)
        closed = programme_close(
            programme=previous_programme,
            user=self.admin,
            review=(
                f"Bilan {self.year - 1} : quatre chantiers achevés sur sept (guide RPS, colloque "
                "TMS, dossier web QVT et grille d’analyse commune). L’évaluation TMS-RPS et le "
                "groupe de prospective se poursuivent ; le module de formation, reporté, est "
                "reconduit ; le webinaire « RPS et télétravail » est abandonné."
            ),
        )
        self.backdate(closed, closed_on=self.on(-1, 12, 9))
        self.conclude(
            copil,
            minutes=(
                f"Le comité de pilotage dresse le bilan du programme {self.year - 1} et adopte le "
                f"programme {self.year}. Il prend acte de l’avenant n° 1 prolongeant la convention "
                "d’évaluation TMS-RPS. Le projet de convention sur les maladies chroniques "
                "évolutives, associant l’INCa, est mis en négociation."
            ),
            decisions=[
                (items[0], f"Le bilan du programme {self.year - 1} est approuvé."),
                (items[1], f"Le programme de travail commun {self.year} est adopté."),
                (
                    items[3],
                    "La négociation de la convention sur les maladies chroniques évolutives est "
                    "ouverte avec l’INCa.",
                ),
            ],
            tasks=[
                (
                    f"Diffuser le programme {self.year} aux équipes",
                    "anact.coordinateur",
                    self.on(-1, 12, 20),
                    self.on(-1, 12, 18),
                ),
            ],
            approved_on=self.on(-1, 12, 19),
        )
        return programme, a

    def create_current_meetings(self, agreement, current, conventions):
        programme, a = current
        floor = self.on(-1, 12, 11)
        span = (self.today - floor).days
        first_day = self.days(-min(70, span * 4 // 5))
        group_day = self.days(-min(40, span // 2))
        last_day = self.days(-min(21, span // 4))

        a["study"] = self.move(a["study"], progress=70)
        a["group"] = self.move(a["group"], progress=50)
        a["training"] = self.move(a["training"], "start", progress=10)
        a["expertise"] = self.move(a["expertise"], "start", progress=25)
        a["transfer"] = self.move(a["transfer"], "start", progress=15)
        a["campaign"] = self.move(a["campaign"], "start", "complete")
        a["newsletter"] = self.move(a["newsletter"], "start", progress=25)
        a["wear_study"] = self.move(a["wear_study"], "postpone")
        a["qvt_day"] = self.move(a["qvt_day"], "cancel")

        first = self.meeting(
            agreement,
            kind=Meeting.Kind.REVIEW,
            title=f"Rendez-vous de suivi du {french_date(first_day)}",
            day=first_day,
            place="Anact, Lyon",
            people=self.review_people(),
        )
        self.review_chantiers(
            first,
            [
                (a["study"], "Analyse des vingt entretiens en cours."),
                (a["group"], "Séance consacrée aux scénarios démographiques."),
                (a["training"], "Formateurs désignés ; session pilote en préparation."),
                (a["expertise"], "Trois structures d’aide à domicile rencontrées."),
                (a["transfer"], "Sommaire du kit validé."),
                (a["campaign"], "Dépliant diffusé à 5 000 exemplaires."),
                (a["newsletter"], "Numéro 1 en préparation."),
                (a["wear_study"], "Reportée : les équipes sont mobilisées sur l’expertise."),
            ],
        )
        first = self.hold(first)
        first_tasks = self.conclude(
            first,
            minutes=(
                "Revue des chantiers du programme commun. L’évaluation TMS-RPS entre dans sa phase "
                "d’analyse. La campagne « Maladie chronique et travail » est achevée. L’étude sur "
                "l’usure dans les TPE est reportée."
            ),
            decisions=[
                (None, "L’étude sur l’usure dans les TPE est reportée au second semestre."),
            ],
            tasks=[
                (
                    "Transmettre les données de sinistralité des entreprises du panel",
                    "inrs.contributeur",
                    self.days(3),
                    None,
                ),
                (
                    "Mettre à jour la liste des membres du groupe de prospective",
                    "inrs.coordinateur",
                    first_day + datetime.timedelta(days=7),
                    self.past(first_day + datetime.timedelta(days=6)),
                ),
            ],
            approved_on=self.past(first_day + datetime.timedelta(days=3)),
        )

        group_meeting = self.meeting(
            agreement,
            kind=Meeting.Kind.WORKING_GROUP,
            title="Groupe de travail « Le travail dans 40 ans » : séance de travail",
            working_group=a["group"],
            day=group_day,
            start_hour=14,
            place="INRS, Paris",
            people=[
                ("inrs.coordinateur", Participant.Role.CHAIR, Participant.Attendance.PRESENT),
                ("delorme", Participant.Role.SECRETARY, Participant.Attendance.PRESENT),
                ("fabre", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
                ("inrs.contributeur", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
                (
                    "anact.coordinateur",
                    Participant.Role.PARTICIPANT,
                    Participant.Attendance.EXCUSED,
                ),
                ("renaud", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
            ],
        )
        self.agenda(
            group_meeting,
            [
                ("Scénarios d’organisation du travail à quarante ans", {}),
                ("Plan de la note de prospective n° 1", {}),
            ],
        )
        group_meeting = self.hold(group_meeting)
        _update(
            group_meeting,
            minutes=(
                "Projet de compte rendu : le groupe retient trois scénarios (plateformes, "
                "relocalisation industrielle, travail hybride généralisé) et confie la "
                "rédaction de la note n° 1 à l’INRS."
            ),
        )
        self.tasks(
            group_meeting,
            [("Rédiger la note de prospective n° 1", "inrs.contributeur", self.days(10), None)],
        )

        a["study"] = self.move(a["study"], progress=80)
        a["group"] = self.move(a["group"], progress=55)
        a["training"] = self.move(a["training"], progress=25)
        a["expertise"] = self.move(a["expertise"], progress=50)
        a["transfer"] = self.move(a["transfer"], progress=30)
        a["newsletter"] = self.move(a["newsletter"], progress=50)
        last = self.meeting(
            agreement,
            kind=Meeting.Kind.REVIEW,
            title=f"Rendez-vous de suivi du {french_date(last_day)}",
            day=last_day,
            place="Visioconférence",
            video_link="https://visio.example/anact-inrs-suivi",
            people=self.review_people(),
        )
        self.review_chantiers(
            last,
            [
                (a["study"], "Rapport final en cours de rédaction."),
                (a["group"], "Note n° 1 en retard : rédaction confiée à l’INRS."),
                (a["training"], "Session pilote programmée."),
                (a["expertise"], "Rapport d’expertise en retard sur le calendrier."),
                (a["transfer"], "Maquette du kit en relecture dans deux Aract."),
                (a["newsletter"], "Numéro 1 paru ; numéro 2 en préparation."),
            ],
        )
        self.bring_back(last, first_tasks)
        last = self.hold(last)
        last_tasks = self.conclude(
            last,
            minutes=(
                "Revue des chantiers. Le rapport final d’évaluation TMS-RPS est attendu dans le "
                "mois ; la convention d’évaluation arrive à échéance et son renouvellement sera "
                "examiné au prochain rendez-vous. Le rapport d’expertise sur l’aide à domicile "
                "et la note de prospective n° 1 sont en retard."
            ),
            decisions=[
                (None, "Le kit d’intervention TMS sera présenté aux Aract avant sa diffusion."),
                (
                    None,
                    "Le renouvellement de la convention d’évaluation sera examiné au prochain "
                    "rendez-vous.",
                ),
            ],
            tasks=[
                (
                    "Relancer les Aract pour la relecture du kit TMS",
                    "anact.contributeur",
                    self.days(7),
                    None,
                ),
                (
                    "Proposer un nouveau calendrier pour le rapport d’expertise",
                    "inrs.coordinateur",
                    self.days(-2),
                    None,
                ),
                (
                    "Préparer une note sur le renouvellement de la convention d’évaluation",
                    "anact.coordinateur",
                    self.days(14),
                    None,
                ),
                (
                    "Envoyer le sommaire de la lettre n° 2",
                    "inrs.contributeur",
                    last_day + datetime.timedelta(days=5),
                    last_day + datetime.timedelta(days=2),
                ),
            ],
            approved_on=last_day + datetime.timedelta(days=3),
        )

        upcoming_day = self.days(21)
        upcoming = self.meeting(
            agreement,
            kind=Meeting.Kind.REVIEW,
            title=f"Rendez-vous de suivi du {french_date(upcoming_day)}",
            day=upcoming_day,
            start_hour=14,
            place="INRS, Paris",
            video_link="https://visio.example/anact-inrs-suivi",
            people=[
                (person, role, Participant.Attendance.INVITED)
                for person, role, _attendance in self.review_people()
            ],
        )
        items = [(f"Approbation du compte rendu du {french_date(last_day)}", {})]
        items += [
            (f"Point d’avancement : {action.title}", {"action": action})
            for action in programme.actions.ongoing().order_by("kind", "title")
        ]
        items += [
            (
                "Échéance de la convention d’évaluation TMS-RPS le "
                f"{french_date(conventions['evaluation'].ends_on)} : prolongation ou clôture",
                {"convention": conventions["evaluation"]},
            ),
        ]
        self.agenda(upcoming, items)
        self.bring_back(upcoming, [*first_tasks, *last_tasks])
        self.agenda(upcoming, [("Questions diverses", {})])

    # Meetings ---------------------------------------------------------------------------

    def steering_people(self):
        return [
            ("anact.coordinateur", Participant.Role.CHAIR, Participant.Attendance.PRESENT),
            ("inrs.coordinateur", Participant.Role.SECRETARY, Participant.Attendance.PRESENT),
            ("anact.contributeur", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
            ("inrs.contributeur", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
            ("delorme", Participant.Role.PARTICIPANT, Participant.Attendance.EXCUSED),
        ]

    def review_people(self):
        return [
            ("inrs.coordinateur", Participant.Role.CHAIR, Participant.Attendance.PRESENT),
            ("anact.coordinateur", Participant.Role.SECRETARY, Participant.Attendance.PRESENT),
            ("anact.contributeur", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
            ("inrs.contributeur", Participant.Role.PARTICIPANT, Participant.Attendance.PRESENT),
            ("renaud", Participant.Role.PARTICIPANT, Participant.Attendance.ABSENT),
        ]

    def meeting(
        self,
        agreement,
        *,
        kind,
        title,
        day,
        place,
        people,
        start_hour=10,
        video_link="",
        working_group=None,
    ):
        starts_at = self.at(day, start_hour)
        meeting = _save(
            Meeting(
                agreement=agreement,
                kind=kind,
                title=title,
                working_group=working_group,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=3),
                place=place,
                video_link=video_link,
            )
        )
        for person, role, attendance in people:
            if person in self.users:
                who = {"user": self.users[person]}
            else:
                who = {"contact": self.contacts[person]}
            _save(Participant(meeting=meeting, role=role, attendance=attendance, **who))
        return meeting

    def agenda(self, meeting, items):
        start = meeting.agenda_items.count()
        return [
            _save(AgendaItem(meeting=meeting, position=start + index, title=title, **subject))
            for index, (title, subject) in enumerate(items, start=1)
        ]

    def review_chantiers(self, meeting, reviews):
        """Put each action on the agenda and record its status, progress and comment."""
        self.agenda(
            meeting,
            [(f"Revue du chantier : {action.title}", {"action": action}) for action, _ in reviews],
        )
        for action, comment in reviews:
            _save(
                ActionReview(
                    action=action,
                    meeting=meeting,
                    status=action.status,
                    progress=action.progress,
                    comment=comment,
                    recorded_by=self.users["anact.coordinateur"],
                )
            )

    def bring_back(self, meeting, tasks):
        """Open follow-up tasks of the previous meetings come back on the agenda."""
        self.agenda(
            meeting,
            [(f"Suivi : {task.title}", {"follow_up": task}) for task in tasks if not task.done],
        )

    def hold(self, meeting):
        return meeting_hold(meeting=meeting, user=self.admin)

    def adopt(self, programme, meeting):
        """Each party's coordinator approves the programme at the meeting for their own
        organisation; the last approval adopts it."""
        approval = None
        for party in programme_parties(programme):
            approval = programme_approve(
                programme=programme,
                user=self.coordinator_of(party),
                meeting=meeting,
                organisation=party,
            )
            ProgrammeApproval.objects.filter(pk=approval.pk).update(approved_at=meeting.ends_at)
            approval.history.update(approved_at=meeting.ends_at)
        return approval.programme

    def coordinator_of(self, organisation):
        """The organisation's demo coordinator (the administrator for a party without one)."""
        for user in self.users.values():
            profile = user.profile
            if profile.organisation_id == organisation.pk and profile.role == "coordinator":
                return user
        return self.admin

    def tasks(self, meeting, tasks):
        created = []
        for title, owner, due_on, done_on in tasks:
            created.append(
                _save(
                    FollowUpTask(
                        meeting=meeting,
                        title=title,
                        owner=self.users[owner],
                        due_on=due_on,
                        done=done_on is not None,
                        done_on=done_on,
                    )
                )
            )
        return created

    def conclude(self, meeting, *, minutes, decisions, tasks, approved_on):
        """Minutes, decisions and follow-up tasks of a held meeting, then approve the minutes."""
        _update(meeting, minutes=minutes)
        for agenda_item, text in decisions:
            _save(Decision(meeting=meeting, agenda_item=agenda_item, text=text))
        created = self.tasks(meeting, tasks)
        meeting = meeting_approve_minutes(meeting=meeting, user=self.admin)
        self.backdate(meeting, minutes_approved_on=self.past(approved_on))
        return created

    # Experimentations -------------------------------------------------------------------

    def experimentation(
        self, *, partners, territories, evaluation, criteria=None, indicators=(), **fields
    ):
        experimentation = _save(Experimentation(**fields))
        for key, level, is_lead in partners:
            _save(
                ExperimentationPartner(
                    experimentation=experimentation,
                    organisation=self.org[key],
                    level=level,
                    is_lead=is_lead,
                )
            )
        for region in territories:
            _save(Territory(experimentation=experimentation, region=region))
        _save(Evaluation(experimentation=experimentation, **evaluation))
        # The criteria of each stage decision, written while designing the experimentation.
        for gate, texts in (criteria or {}).items():
            for position, text in enumerate(texts, start=1):
                _save(
                    StageCriterion(
                        experimentation=experimentation, gate=gate, text=text, position=position
                    )
                )
        for position, (name, unit, baseline, target) in enumerate(indicators, start=1):
            _save(
                Indicator(
                    experimentation=experimentation,
                    name=name,
                    unit=unit,
                    baseline=Decimal(baseline),
                    target=Decimal(target),
                    position=position,
                )
            )
        return experimentation

    def advance(self, experimentation, name):
        return experimentation_services.experimentation_advance(
            experimentation=experimentation, user=self.admin, name=name
        )

    def decide(self, experimentation, gate, assessments, *, decided_on, comment=""):
        """The "go" decision at a gate: each criterion in order, (met, evidence link, note)."""
        criteria = experimentation.criteria.filter(gate=gate).order_by("position")
        decision = experimentation_services.experimentation_decide(
            experimentation=experimentation,
            user=self.admin,
            gate=gate,
            outcome=StageDecision.Outcome.GO,
            assessments={
                criterion.pk: Assessment(met=met, evidence_url=url, note=note)
                for criterion, (met, url, note) in zip(criteria, assessments, strict=True)
            },
            comment=comment,
        )
        decided_at = self.at(self.past(decided_on), 11)
        StageDecision.objects.filter(pk=decision.pk).update(decided_at=decided_at)
        decision.history.update(decided_at=decided_at)
        return decision.experimentation

    def measure(self, experimentation, values):
        """(indicator name, company name or None for the whole, day, value) measurements."""
        indicators = {i.name: i for i in experimentation.indicators.all()}
        companies = {c.name: c for c in experimentation.companies.all()}
        for indicator, company, day, value in values:
            _save(
                Measurement(
                    indicator=indicators[indicator],
                    company=companies[company] if company else None,
                    measured_on=self.past(day),
                    value=Decimal(value),
                )
            )

    def companies(self, experimentation, companies):
        for (
            name,
            sector,
            size_class,
            region,
            joined_phase,
            enrolled_on,
            left_on,
            status,
        ) in companies:
            _save(
                EnrolledCompany(
                    experimentation=experimentation,
                    name=name,
                    sector=sector,
                    size_class=size_class,
                    region=region,
                    joined_phase=joined_phase,
                    enrolled_on=enrolled_on,
                    left_on=left_on,
                    status=status,
                )
            )

    def create_home_care_experimentation(self):
        # Its notice date falls within three months: the dashboard has something to announce.
        ends_on = add_months(self.days(75), 3)
        starts_on = add_months(ends_on, -48) + datetime.timedelta(days=1)
        agreement = self.signed_agreement(
            reference=HOME_CARE_REFERENCE,
            title="Convention de partenariat Cnav – CNAMTS – Anact : prévention des risques "
            "professionnels dans les services à la personne",
            purpose=(
                "Faire baisser le taux de sinistralité très élevé du secteur des services à la "
                "personne (SAP) en expérimentant, avec des structures d’aide à domicile, des "
                "démarches de prévention des risques professionnels et de promotion de la santé."
            ),
            signed_on=starts_on,
            starts_on=starts_on,
            ends_on=ends_on,
            tacit_renewal=True,
            notice_period_months=3,
            steering_committee="Comité de pilotage national Cnav, CNAMTS, Anact, deux fois par an.",
            meeting_frequency=Agreement.MeetingFrequency.HALF_YEARLY,
            parties=[
                (self.org["cnav"], "", "Directeur"),
                (self.org["cnamts"], "", "Directeur des risques professionnels"),
                (self.org["anact"], "", "Directeur général"),
            ],
        )
        trial_start = add_months(starts_on, 3)
        National = ExperimentationPartner.Level.NATIONAL
        Regional = ExperimentationPartner.Level.REGIONAL
        experimentation = self.experimentation(
            title="Prévention des risques professionnels dans les services à la personne",
            summary=(
                "Partenariat Cnav / CNAMTS / Anact : des structures d’aide à domicile testent une "
                "démarche de prévention fondée sur l’organisation des tournées, l’analyse des "
                "situations de travail au domicile et la formation des encadrants."
            ),
            priority=Priority.PREVENTION,
            sector=Sector.HOME_CARE,
            agreement=agreement,
            starts_on=trial_start,
            ends_on=ends_on,
            partners=[
                ("anact", National, True),
                ("cnav", National, False),
                ("cnamts", National, False),
                ("aract_pdl", Regional, False),
                ("aract_naq", Regional, False),
                ("aract_hdf", Regional, False),
            ],
            territories=[Region.PDL, Region.NAQ, Region.HDF],
            evaluation={
                "method": (
                    "Comparaison avant/après dans les structures accompagnées et dans des "
                    "structures témoins : sinistralité (accidents du travail et maladies "
                    "professionnelles), absentéisme, turn-over, entretiens avec les intervenantes."
                ),
                "criteria": (
                    "Baisse de la fréquence des accidents du travail dans au moins la moitié des "
                    "structures ; démarche reprise par l’encadrement à l’issue de "
                    "l’accompagnement."
                ),
            },
            criteria={
                Gate.EVALUATION: [
                    "Au moins quatre structures accompagnées jusqu’au bout de l’essai.",
                    "Baisse de la fréquence des accidents du travail dans au moins la moitié "
                    "des structures accompagnées.",
                    "Démarche reprise par l’encadrement à l’issue de l’accompagnement.",
                ],
                Gate.EXTENSION: [
                    "Résultats confirmés par la comparaison avec les structures témoins.",
                    "Outils transférables : guide de la démarche et module de formation des "
                    "responsables de secteur.",
                ],
                Gate.DEPLOYMENT: [
                    "Au moins dix structures accompagnées dans trois régions.",
                    "Financement du déploiement décidé par la Cnav et la CNAMTS.",
                ],
            },
            indicators=[
                ("Fréquence des accidents du travail", "AT pour 1 000 salariés", "98", "70"),
                ("Taux d’absentéisme", "%", "12.5", "9"),
            ],
        )
        experimentation = self.advance(experimentation, "start_trial")
        Size = EnrolledCompany.SizeClass
        Status = EnrolledCompany.Status
        trial = Experimentation.Phase.TRIAL
        extension = Experimentation.Phase.EXTENSION
        enrolled = add_months(trial_start, 1)
        trial_end = add_months(trial_start, 18)
        self.companies(
            experimentation,
            [
                (
                    "Association Aide et Domicile du Val de Loire",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.PDL,
                    trial,
                    enrolled,
                    trial_end,
                    Status.COMPLETED,
                ),
                (
                    "Domicile Services Atlantique",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.PDL,
                    trial,
                    enrolled,
                    trial_end,
                    Status.COMPLETED,
                ),
                (
                    "Les Aides du Périgord",
                    Sector.HOME_CARE,
                    Size.TPE,
                    Region.NAQ,
                    trial,
                    enrolled,
                    trial_end,
                    Status.COMPLETED,
                ),
                (
                    "Entraide Béarn Domicile",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.NAQ,
                    trial,
                    enrolled,
                    add_months(enrolled, 5),
                    Status.WITHDRAWN,
                ),
                (
                    "Solidarité Domicile Artois",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.HDF,
                    trial,
                    enrolled,
                    trial_end,
                    Status.COMPLETED,
                ),
            ],
        )
        accidents, absence = "Fréquence des accidents du travail", "Taux d’absentéisme"
        self.measure(
            experimentation,
            [
                (accidents, "Association Aide et Domicile du Val de Loire", enrolled, "104"),
                (accidents, "Association Aide et Domicile du Val de Loire", trial_end, "71"),
                (accidents, "Domicile Services Atlantique", enrolled, "92"),
                (accidents, "Domicile Services Atlantique", trial_end, "66"),
                (accidents, "Les Aides du Périgord", enrolled, "110"),
                (accidents, "Les Aides du Périgord", trial_end, "83"),
                (accidents, "Solidarité Domicile Artois", enrolled, "95"),
                (accidents, "Solidarité Domicile Artois", trial_end, "97"),
                (accidents, None, trial_end, "79"),
                (absence, "Association Aide et Domicile du Val de Loire", trial_end, "10.2"),
                (absence, "Les Aides du Périgord", trial_end, "11.8"),
                (absence, None, trial_end, "10.9"),
            ],
        )
        evaluation_link = "https://www.anact.fr/"
        experimentation = self.decide(
            experimentation,
            Gate.EVALUATION,
            [
                (True, evaluation_link, "Quatre structures sur cinq : une s’est retirée."),
                (True, evaluation_link, "Baisse dans trois structures sur quatre."),
                (True, evaluation_link, "Plans d’action repris par les responsables de secteur."),
            ],
            decided_on=add_months(trial_end, 1),
        )
        evaluation = experimentation.evaluation
        evaluation.findings = (
            "Baisse de 30 % de la fréquence des accidents du travail dans trois structures sur "
            "quatre ; la planification des tournées et la formation des responsables de secteur "
            "sont les leviers les plus efficaces. Le retrait d’une structure tient à un "
            "changement de direction."
        )
        _save(evaluation)
        experimentation = self.decide(
            experimentation,
            Gate.EXTENSION,
            [
                (True, evaluation_link, "Écart confirmé avec les six structures témoins."),
                (False, evaluation_link, "Le module de formation reste à finaliser."),
            ],
            decided_on=add_months(trial_end, 3),
            comment=(
                "Extension décidée : le module de formation sera finalisé pendant l’extension, "
                "avec les premières structures rejointes."
            ),
        )
        extended = self.past(add_months(trial_end, 4))
        self.companies(
            experimentation,
            [
                (
                    "ADMR des Mauges",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.PDL,
                    extension,
                    extended,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Présence Domicile Flandre",
                    Sector.HOME_CARE,
                    Size.PME,
                    Region.HDF,
                    extension,
                    extended,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Aide à domicile des Landes",
                    Sector.HOME_CARE,
                    Size.TPE,
                    Region.NAQ,
                    extension,
                    extended,
                    None,
                    Status.ENROLLED,
                ),
                *(
                    (name, Sector.HOME_CARE, size, region, extension, extended, None, status)
                    for name, size, region, status in [
                        ("Aide à domicile du Pays nantais", Size.PME, Region.PDL, Status.ACTIVE),
                        ("Vendée Services à la personne", Size.PME, Region.PDL, Status.ACTIVE),
                        ("Sarthe Domicile Plus", Size.TPE, Region.PDL, Status.ENROLLED),
                        ("Gironde Aide et Soins", Size.PME, Region.NAQ, Status.ACTIVE),
                        ("Limousin Domicile", Size.TPE, Region.NAQ, Status.ENROLLED),
                        ("Aide à domicile du Hainaut", Size.PME, Region.HDF, Status.ACTIVE),
                        ("Picardie Services Domicile", Size.PME, Region.HDF, Status.ENROLLED),
                    ]
                ),
            ],
        )

    def create_chronic_illness_experimentation(self):
        agreement = self.signed_agreement(
            reference=CHRONIC_ILLNESS_REFERENCE,
            title="Accord de partenariat Anact – INCa : travail et maladies chroniques évolutives",
            purpose=(
                "Faire travailler ensemble la santé publique et la santé au travail : outiller "
                "les entreprises pour le maintien en emploi des salariés atteints d’une maladie "
                "chronique évolutive (cancer, diabète, sclérose en plaques...)."
            ),
            signed_on=self.on(-2, 6, 2),
            starts_on=self.on(-2, 7, 1),
            ends_on=self.on(1, 6, 30),
            notice_period_months=3,
            steering_committee="Comité de suivi Anact, INCa et les cinq Aract engagées.",
            meeting_frequency=Agreement.MeetingFrequency.HALF_YEARLY,
            parties=[
                (self.org["anact"], "Hervé Lanouzière", "Directeur général"),
                (self.org["inca"], "", "Président"),
            ],
        )
        National = ExperimentationPartner.Level.NATIONAL
        Regional = ExperimentationPartner.Level.REGIONAL
        experimentation = self.experimentation(
            title="Travail et maladie chronique évolutive (MCE)",
            summary=(
                "Expérimentation portée par cinq Aract avec l’Institut national du cancer : "
                "toucher des acteurs éparpillés, jusque-là centrés sur l’accompagnement "
                "individuel, et construire dans l’entreprise une démarche collective de maintien "
                "en emploi."
            ),
            priority=Priority.CHRONIC_ILLNESS,
            sector=Sector.OTHER,
            agreement=agreement,
            starts_on=self.on(-1, 1, 15),
            ends_on=self.on(1, 3, 31),
            partners=[
                ("aract_bre", Regional, True),
                ("aract_ara", Regional, False),
                ("aract_hdf", Regional, False),
                ("aract_naq", Regional, False),
                ("aract_occ", Regional, False),
                ("inca", National, False),
                ("anact", National, False),
            ],
            territories=[Region.BRE, Region.ARA, Region.HDF, Region.NAQ, Region.OCC],
            evaluation={
                "method": (
                    "Évaluation chemin faisant : journaux de bord des chargés de mission, "
                    "entretiens croisés (salariés concernés, managers, services de santé au "
                    "travail), suivi des situations de maintien en emploi à six et douze mois."
                ),
                "criteria": (
                    "Une démarche collective formalisée dans chaque entreprise ; des "
                    "aménagements d’organisation décidés avec les salariés concernés."
                ),
                "findings": (
                    "Premiers enseignements : les entreprises passent d’un traitement au cas par "
                    "cas à des règles collectives (temps partiel thérapeutique, aménagements "
                    "d’horaires). Les PME ont besoin d’un relais extérieur durable."
                ),
            },
            criteria={
                Gate.EVALUATION: [
                    "Une démarche collective formalisée dans chaque entreprise.",
                    "Des aménagements d’organisation décidés avec les salariés concernés.",
                ],
                Gate.EXTENSION: [
                    "Maintien en emploi à douze mois d’au moins 80 % des salariés suivis.",
                    "Un relais extérieur durable identifié pour chaque PME.",
                ],
            },
            indicators=[("Salariés maintenus en emploi à 12 mois", "%", "62", "80")],
        )
        experimentation = self.advance(experimentation, "start_trial")
        Size = EnrolledCompany.SizeClass
        Status = EnrolledCompany.Status
        trial = Experimentation.Phase.TRIAL
        enrolled = self.on(-1, 3, 1)
        self.companies(
            experimentation,
            [
                (
                    "Conserverie de la baie d’Audierne",
                    Sector.INDUSTRY,
                    Size.PME,
                    Region.BRE,
                    trial,
                    enrolled,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Centre hospitalier de Morlaix",
                    Sector.HEALTH,
                    Size.LARGE,
                    Region.BRE,
                    trial,
                    enrolled,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Mécanique de précision du Forez",
                    Sector.INDUSTRY,
                    Size.PME,
                    Region.ARA,
                    trial,
                    enrolled,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Transports Lille Métropole Services",
                    Sector.LARGE_COMPANIES,
                    Size.ETI,
                    Region.HDF,
                    trial,
                    enrolled,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Clinique des Landes",
                    Sector.HEALTH,
                    Size.PME,
                    Region.NAQ,
                    trial,
                    enrolled,
                    None,
                    Status.ACTIVE,
                ),
                (
                    "Boulangerie Roussel",
                    Sector.SMALL_FIRMS,
                    Size.TPE,
                    Region.OCC,
                    trial,
                    self.on(-1, 4, 15),
                    None,
                    Status.ENROLLED,
                ),
            ],
        )
        kept = "Salariés maintenus en emploi à 12 mois"
        self.measure(
            experimentation,
            [
                (kept, "Conserverie de la baie d’Audierne", self.on(-1, 3, 15), "60"),
                (kept, "Conserverie de la baie d’Audierne", self.on(-1, 11, 15), "75"),
                (kept, "Centre hospitalier de Morlaix", self.on(-1, 3, 15), "70"),
                (kept, "Centre hospitalier de Morlaix", self.on(-1, 11, 15), "82"),
                (kept, "Mécanique de précision du Forez", self.on(-1, 11, 15), "58"),
                (kept, None, self.on(-1, 11, 30), "71"),
            ],
        )
        report_link = "https://www.anact.fr/"
        self.decide(
            experimentation,
            Gate.EVALUATION,
            [
                (True, report_link, "Démarche formalisée dans les six entreprises."),
                (False, report_link, "Aménagements décidés dans quatre entreprises sur six."),
            ],
            decided_on=self.on(-1, 12, 10),
            comment=(
                "Évaluation engagée : les deux entreprises sans aménagement décidé sont suivies "
                "de près par leur Aract."
            ),
        )

    def create_wear_experimentation(self, agreement):
        trial_start = add_months(self.days(45).replace(day=1), 1)
        National = ExperimentationPartner.Level.NATIONAL
        Regional = ExperimentationPartner.Level.REGIONAL
        self.experimentation(
            title="Prévenir l’usure professionnelle dans les TPE-PME",
            summary=(
                "Un panel de TPE et de PME de divers secteurs teste une démarche de prévention de "
                "l’usure : repérage des situations usantes, parcours professionnels, "
                "aménagements d’organisation."
            ),
            priority=Priority.WEAR,
            sector=Sector.SMALL_FIRMS,
            agreement=agreement,
            starts_on=trial_start,
            ends_on=add_months(trial_start, 24),
            partners=[
                ("anact", National, True),
                ("inrs", National, False),
                ("aract_ges", Regional, False),
                ("aract_pdl", Regional, False),
            ],
            territories=[Region.GES, Region.PDL],
            evaluation={
                "method": "Suivi d’indicateurs d’usure (restrictions d’aptitude, arrêts longs) "
                "et entretiens avec les dirigeants.",
                "criteria": "Au moins deux aménagements d’organisation décidés dans chaque "
                "entreprise ; baisse des arrêts de longue durée à deux ans.",
            },
            criteria={
                Gate.EVALUATION: [
                    "Au moins deux aménagements d’organisation décidés dans chaque entreprise.",
                    "Situations usantes repérées avec les salariés dans chaque entreprise.",
                ],
            },
            indicators=[("Arrêts de longue durée", "jours par salarié et par an", "6.2", "4.5")],
        )
