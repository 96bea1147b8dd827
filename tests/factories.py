"""Factories for the domain records, used by the tests and nothing else."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from conventions.models import Amendment, Commitment, Convention, ConventionParty
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Indicator,
    Measurement,
    Priority,
    Sector,
    StageCriterion,
    StageDecision,
    Territory,
)
from partnership.models import (
    Action,
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
    PlannedProject,
    Programme,
    Region,
    StaffProfile,
    Theme,
)

PASSWORD = "Motdepasse-solide-2026"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisme {n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    kind = Organisation.Kind.PUBLIC_BODY
    region = Region.IDF


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.fr")
    password = factory.django.Password(PASSWORD)


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    job_title = "Chargé de mission"
    role = StaffProfile.Role.READER


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"contact{n}@example.fr")
    organisation = factory.SubFactory(OrganisationFactory)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Thème {n}")


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    reference = factory.Sequence(lambda n: f"AC-{2020 + n % 10}-{n:03d}")
    title = factory.Sequence(lambda n: f"Accord-cadre de partenariat {n}")
    purpose = "Organiser la coopération entre les parties."
    starts_on = datetime.date(2024, 1, 1)
    ends_on = datetime.date(2028, 12, 31)


class SignedAgreementFactory(AgreementFactory):
    status = Agreement.Status.SIGNED
    signed_on = datetime.date(2023, 12, 15)


class AgreementPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementParty

    agreement = factory.SubFactory(AgreementFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    signatory_name = factory.Faker("name", locale="fr_FR")
    signatory_title = "Directeur général"
    status = AgreementParty.Status.ACCEPTED  # an invitation is said so


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    agreement = factory.SubFactory(SignedAgreementFactory)
    year = 2026


class PlannedProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlannedProject

    agreement = factory.SubFactory(SignedAgreementFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    year = 2027
    title = factory.Sequence(lambda n: f"Projet {n}")
    kind = PlannedProject.Kind.STUDY
    certainty = PlannedProject.Certainty.PLANNED


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Action commune {n}")
    kind = Action.Kind.STUDY
    lead_organisation = factory.SubFactory(OrganisationFactory)
    planned_start = datetime.date(2026, 1, 15)
    planned_end = datetime.date(2026, 12, 15)


class ActionResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionResource

    action = factory.SubFactory(ActionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    person_days = 10
    budget = 5000


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    action = factory.SubFactory(ActionFactory)
    title = factory.Sequence(lambda n: f"Livrable {n}")
    due_on = datetime.date(2026, 12, 1)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    agreement = factory.SubFactory(SignedAgreementFactory)
    title = factory.Sequence(lambda n: f"Rendez-vous de suivi {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + datetime.timedelta(hours=2))
    place = "Lyon"


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    meeting = factory.SubFactory(MeetingFactory)
    user = factory.SubFactory(UserFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Point {n}")
    position = factory.Sequence(lambda n: n)


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    meeting = factory.SubFactory(MeetingFactory)
    text = "Le calendrier de la publication commune est validé."


class FollowUpTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpTask

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Relance {n}")
    due_on = datetime.date(2026, 12, 15)


class ActionReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionReview

    action = factory.SubFactory(ActionFactory)
    meeting = factory.SubFactory(MeetingFactory)
    status = Action.Status.IN_PROGRESS
    progress = 40
    comment = "Avancement conforme."


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention

    agreement = factory.SubFactory(SignedAgreementFactory)
    annex_number = factory.Sequence(lambda n: n + 1)
    theme = factory.SubFactory(ThemeFactory)
    title = factory.Sequence(lambda n: f"Convention ad hoc {n}")
    starts_on = datetime.date(2025, 1, 1)
    ends_on = datetime.date(2027, 12, 31)


class ConventionPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConventionParty

    convention = factory.SubFactory(ConventionFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    convention = factory.SubFactory(ConventionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    description = "Mettre à disposition un chargé d’études."
    person_days = 20


class ExperimentationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experimentation

    title = factory.Sequence(lambda n: f"Expérimentation {n}")
    priority = Priority.QVT
    sector = Sector.HOME_CARE
    agreement = factory.SubFactory(SignedAgreementFactory)
    starts_on = datetime.date(2025, 9, 1)


class ExperimentationPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperimentationPartner

    experimentation = factory.SubFactory(ExperimentationFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    level = ExperimentationPartner.Level.NATIONAL


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    experimentation = factory.SubFactory(ExperimentationFactory)
    region = Region.ARA


class EnrolledCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnrolledCompany

    experimentation = factory.SubFactory(ExperimentationFactory)
    name = factory.Sequence(lambda n: f"Entreprise {n}")
    sector = Sector.HOME_CARE
    size_class = EnrolledCompany.SizeClass.PME
    region = Region.ARA
    enrolled_on = datetime.date(2025, 10, 1)


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    experimentation = factory.SubFactory(ExperimentationFactory)
    method = "Entretiens et questionnaires avant/après."
    criteria = "Baisse de l’absentéisme observée dans au moins la moitié des structures."


class StageCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageCriterion

    experimentation = factory.SubFactory(ExperimentationFactory)
    gate = "evaluation"
    text = factory.Sequence(lambda n: f"Critère {n} : baisse de l’absentéisme observée.")
    position = factory.Sequence(lambda n: n + 1)


class StageDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageDecision

    experimentation = factory.SubFactory(ExperimentationFactory)
    gate = "evaluation"
    outcome = "go"
    decided_by = factory.SubFactory(UserFactory)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    experimentation = factory.SubFactory(ExperimentationFactory)
    name = factory.Sequence(lambda n: f"Indicateur {n}")
    unit = "%"
    baseline = 12
    target = 8


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    indicator = factory.SubFactory(IndicatorFactory)
    company = None
    measured_on = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(n))
    value = 10


class AmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Amendment

    convention = factory.SubFactory(ConventionFactory)
    number = factory.Sequence(lambda n: n + 1)
    signed_on = datetime.date(2025, 6, 1)
    summary = "Prolongation de six mois."


# The smallest file each accepted type can be recognised from (partnership.documents.files).
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class DocumentFactory(factory.django.DjangoModelFactory):
    """A signed PDF attached to an agreement (pass another record instead if needed)."""

    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Texte signé {n}")
    kind = Document.Kind.SIGNED_TEXT
    file = factory.django.FileField(filename="texte-signe.pdf", data=PDF_BYTES)
    original_name = "Texte signé.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    convention = None
    amendment = None
    meeting = None
    deliverable = None
    agreement = factory.Maybe(
        factory.LazyAttribute(
            lambda o: not (o.convention or o.amendment or o.meeting or o.deliverable)
        ),
        yes_declaration=factory.SubFactory(AgreementFactory),
        no_declaration=None,
    )
