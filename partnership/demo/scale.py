"""A large, realistic data set on top of the demo data, for benchmarks and load tests.

30 organisations, 10 agreements (Anact party to all, so the demo accounts see them), 20 years
of programmes each, 6,000 actions with partners, resources and deliverables, 400 conventions
with commitments and amendments, 1,500 meetings with participants, agenda items and reviews,
300 staff accounts, and the history rows of all of them. Deterministic: the same seed gives the
same data. Fast: bulk inserts (history included), a few thousand rows per statement.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from conventions.models import Amendment, Commitment, Convention, ConventionParty
from partnership.agreements.models import Agreement, AgreementParty
from partnership.directory.models import Organisation, StaffProfile, Theme
from partnership.directory.regions import Region
from partnership.discussion.models import Comment, Event, Follow, Notification
from partnership.meetings.models import (
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
)
from partnership.programmes.models import Action, ActionResource, Deliverable, Programme
from partnership.programming.models import PlannedProject
from partnership.rules import PartyStatus

REFERENCE_PREFIX = "ECH-AC-"
BATCH = 2000


@dataclass(frozen=True)
class Scale:
    organisations: int = 30
    agreements: int = 10
    years: int = 20
    actions: int = 6000
    conventions: int = 400
    meetings: int = 1500
    staff: int = 300
    planned_projects: int = 3000
    notifications: int = 50_000

    @classmethod
    def small(cls):
        """A tenth of it, for the tests that compare two data sizes."""
        return cls(
            organisations=12,
            agreements=2,
            years=3,
            actions=120,
            conventions=8,
            meetings=30,
            staff=20,
            planned_projects=300,
            notifications=2_000,
        )


ORGANISATION_NAMES = [
    ("Carsat {}", "Carsat {}", Organisation.Kind.PUBLIC_BODY),
    ("Service de prévention et de santé au travail {}", "SPST {}", Organisation.Kind.OTHER),
    (
        "Direction régionale de l’économie, de l’emploi, du travail et des solidarités {}",
        "DREETS {}",
        Organisation.Kind.PUBLIC_BODY,
    ),
    (
        "Association régionale pour l’amélioration des conditions de travail {}",
        "Aract {}",
        Organisation.Kind.REGIONAL_ASSOCIATION,
    ),
]
ACTION_WORDS = [
    "Évaluation des démarches de prévention",
    "Guide pratique",
    "Colloque régional",
    "Formation des préventeurs",
    "Étude sur l’organisation du travail",
    "Transfert d’outils",
    "Webinaire",
    "Expertise conjointe",
    "Lettre d’information",
    "Groupe de travail",
]


def _batched(model, objects, history=True, user=None):
    if history:
        return bulk_create_with_history(objects, model, batch_size=BATCH, default_user=user)
    return model.objects.bulk_create(objects, batch_size=BATCH)


def already_loaded():
    return Agreement.objects.filter(reference__startswith=REFERENCE_PREFIX).exists()


PROJECT_SUBJECTS = [
    "prévention des TMS",
    "risques psychosociaux",
    "travail hybride",
    "usure professionnelle",
    "maintien en emploi",
    "qualité de vie au travail",
    "exposition aux produits chimiques",
    "chutes de hauteur",
    "travail de nuit",
    "transformation numérique",
]
PROJECT_SECTORS = [
    "dans la logistique",
    "dans le BTP",
    "dans l’aide à domicile",
    "dans les établissements de santé",
    "dans l’industrie agroalimentaire",
    "dans le commerce",
    "dans les petites entreprises",
]
PROJECT_KINDS = {
    PlannedProject.Kind.STUDY: "Étude",
    PlannedProject.Kind.PUBLICATION: "Guide",
    PlannedProject.Kind.TRAINING: "Formation",
    PlannedProject.Kind.INTERVENTION: "Intervention",
    PlannedProject.Kind.TOOL: "Outil",
    PlannedProject.Kind.OTHER: "Webinaire",
}


def _planned_projects(rng, today, agreements, members, themes, scale, author):
    """Each party's programming of next year and the one after, on every agreement of the
    data set and on the demonstration's (a third of them): titles drawn from a few subjects
    and sectors, so that some overlap."""
    targets = [(agreement.pk, members[agreement.pk]) for agreement in agreements]
    demo = Agreement.objects.filter(reference="AC-ANACT-INRS").first()
    if demo is not None:
        parties = list(
            Organisation.objects.filter(
                agreement_parties__agreement=demo, agreement_parties__status=PartyStatus.ACCEPTED
            )
        )
        targets += [(demo.pk, parties)] * max(1, len(targets) // 2)
    certainties = list(PlannedProject.Certainty.values)
    projects = []
    for index in range(scale.planned_projects):
        agreement_id, organisations = targets[index % len(targets)]
        year = today.year + 1 + index % 2
        kind, word = rng.choice(list(PROJECT_KINDS.items()))
        subject = rng.choice(PROJECT_SUBJECTS)
        start = datetime.date(year, rng.randint(1, 9), 1)
        projects.append(
            PlannedProject(
                agreement_id=agreement_id,
                organisation=rng.choice(organisations),
                year=year,
                title=f"{word} {subject} {rng.choice(PROJECT_SECTORS)} ({index})",
                summary=f"{word} sur {subject}, avec les entreprises volontaires.",
                theme=rng.choice(themes),
                kind=kind,
                certainty=rng.choice(certainties),
                planned_start=start,
                planned_end=start + datetime.timedelta(days=rng.randint(60, 200)),
            )
        )
    _batched(PlannedProject, projects, user=author)
    return len(projects)


@transaction.atomic
def generate(*, seed=2026, scale=Scale(), author=None, stdout=None):
    rng = random.Random(seed)
    today = timezone.localdate()
    say = stdout.write if stdout else (lambda message: None)

    anact = Organisation.objects.filter(acronym="Anact").first() or Organisation.objects.create(
        name="Agence nationale pour l’amélioration des conditions de travail",
        acronym="Anact",
        kind=Organisation.Kind.NATIONAL_AGENCY,
    )
    themes = list(Theme.objects.all()) or _batched(
        Theme,
        [Theme(code=f"theme-{i}", name=f"Thème {i}") for i in range(6)],
        user=author,
    )

    # Organisations: the regional bodies of every region, under Anact for the Aract.
    regions = [code for code, _ in Region.choices]
    taken = set(Organisation.objects.values_list("name", flat=True))
    organisations = []
    index = 0
    while len(organisations) < scale.organisations:
        name_pattern, acronym_pattern, kind = ORGANISATION_NAMES[index % len(ORGANISATION_NAMES)]
        region = regions[(index // len(ORGANISATION_NAMES)) % len(regions)]
        label = f"{dict(Region.choices)[region]} ({index})"
        name = name_pattern.format(label)
        index += 1
        if name in taken:
            continue
        organisations.append(
            Organisation(
                name=name,
                acronym=acronym_pattern.format(region)[:30],
                kind=kind,
                region=region,
                parent=anact if kind == Organisation.Kind.REGIONAL_ASSOCIATION else None,
            )
        )
    organisations = _batched(Organisation, organisations, user=author)
    say(f"{len(organisations)} organisations\n")

    # Staff: one password hash for all (hashing 300 times would take minutes).
    password = make_password("echelle-partenariat-2026")
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(
                username=f"agent{i:03d}",
                first_name=rng.choice(["Camille", "Dominique", "Claude", "Alix", "Sacha"]),
                last_name=f"Agent {i:03d}",
                email=f"agent{i:03d}@echelle.example",
                password=password,
            )
            for i in range(1, scale.staff + 1)
        ],
        batch_size=BATCH,
    )
    roles = [StaffProfile.Role.READER] * 6 + [StaffProfile.Role.CONTRIBUTOR] * 3
    roles += [StaffProfile.Role.COORDINATOR]
    _batched(
        StaffProfile,
        [
            StaffProfile(
                user=user,
                organisation=rng.choice([anact, *organisations]),
                role=rng.choice(roles),
                job_title="Chargé(e) de mission",
            )
            for user in users
        ],
        user=author,
    )
    say(f"{len(users)} staff accounts\n")

    # Agreements, signed, Anact party to all.
    first_year = today.year - scale.years + 1
    agreements = _batched(
        Agreement,
        [
            Agreement(
                reference=f"{REFERENCE_PREFIX}{i + 1:02d}",
                title=f"Accord-cadre de partenariat n° {i + 1} du réseau",
                purpose="Organiser la coopération des parties sur leurs chantiers communs.",
                status=Agreement.Status.SIGNED,
                signed_on=datetime.date(first_year - 1, 12, 1),
                starts_on=datetime.date(first_year, 1, 1),
                ends_on=datetime.date(today.year + 3, 12, 31),
                tacit_renewal=True,
                notice_period_months=6,
                steering_committee="Comité de pilotage paritaire des directions.",
            )
            for i in range(scale.agreements)
        ],
        user=author,
    )
    parties = []
    members = {}
    for agreement in agreements:
        others = rng.sample(organisations, k=min(3, len(organisations)))
        members[agreement.pk] = [anact, *others]
        parties += [
            AgreementParty(
                agreement=agreement,
                organisation=organisation,
                signatory_name="Direction générale",
                signed_on=agreement.signed_on,
                status=AgreementParty.Status.ACCEPTED,
            )
            for organisation in members[agreement.pk]
        ]
    _batched(AgreementParty, parties, user=author)
    say(f"{len(agreements)} agreements\n")
    planned = _planned_projects(rng, today, agreements, members, themes, scale, author)
    say(f"{planned} planned projects of the parties' programming\n")

    # Meetings, spread over the years; the past ones held with approved minutes.
    now = timezone.now()
    meetings = []
    per_agreement = scale.meetings // scale.agreements
    for agreement in agreements:
        for n in range(per_agreement):
            day = datetime.date(first_year, 1, 15) + datetime.timedelta(
                days=int(n * (scale.years * 365 + 60) / per_agreement)
            )
            starts = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
            past = starts < now
            meetings.append(
                Meeting(
                    agreement=agreement,
                    kind=rng.choice([Meeting.Kind.REVIEW] * 3 + [Meeting.Kind.STEERING_COMMITTEE]),
                    title=f"Rendez-vous de suivi du {day:%d/%m/%Y}",
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(hours=2),
                    place=rng.choice(["Lyon", "Paris", "Visioconférence"]),
                    status=Meeting.Status.MINUTES_APPROVED if past else Meeting.Status.PLANNED,
                    minutes="Compte rendu : revue des chantiers, décisions et suites."
                    if past
                    else "",
                    minutes_approved_on=day + datetime.timedelta(days=20) if past else None,
                )
            )
    meetings = _batched(Meeting, meetings, user=author)
    meetings_by_year = {}
    for meeting in meetings:
        meetings_by_year.setdefault((meeting.agreement_id, meeting.starts_at.year), []).append(
            meeting
        )
    say(f"{len(meetings)} meetings\n")

    # Programmes: closed, then this year's adopted at its first meeting.
    programmes = []
    for agreement in agreements:
        for year in range(first_year, today.year + 1):
            held = [m for m in meetings_by_year.get((agreement.pk, year), []) if m.starts_at < now]
            if not held:
                continue
            current = year == today.year
            programmes.append(
                Programme(
                    agreement=agreement,
                    year=year,
                    title=f"Programme de travail commun {year}",
                    status=Programme.Status.ADOPTED if current else Programme.Status.CLOSED,
                    adopted_on=timezone.localdate(held[0].starts_at),
                    adopted_at=held[0],
                    review="" if current else "Bilan : chantiers menés à bien, suites prévues.",
                    closed_on=None if current else datetime.date(year + 1, 1, 31),
                )
            )
    programmes = _batched(Programme, programmes, user=author)
    say(f"{len(programmes)} programmes\n")

    # Conventions, annexed in order, the older ones ended.
    conventions = []
    per_agreement = scale.conventions // scale.agreements
    for agreement in agreements:
        for n in range(per_agreement):
            year = first_year + n * scale.years // per_agreement
            conventions.append(
                Convention(
                    agreement=agreement,
                    annex_number=n + 1,
                    theme=rng.choice(themes),
                    title=f"Convention ad hoc n° {n + 1} : {rng.choice(ACTION_WORDS).lower()}",
                    purpose="Conditions de la coopération sur le thème.",
                    status=Convention.Status.IN_FORCE
                    if year >= today.year - 2
                    else Convention.Status.ENDED,
                    signed_on=datetime.date(year, 1, 10),
                    starts_on=datetime.date(year, 2, 1),
                    ends_on=datetime.date(year + 3, 1, 31),
                    financial_terms="Chaque partie prend en charge ses frais.",
                )
            )
    conventions = _batched(Convention, conventions, user=author)
    convention_parties, commitments, amendments = [], [], []
    for convention in conventions:
        for organisation in members[convention.agreement_id][:2]:
            convention_parties.append(
                ConventionParty(convention=convention, organisation=organisation)
            )
            commitments.append(
                Commitment(
                    convention=convention,
                    organisation=organisation,
                    description="Mettre à disposition un chargé d’études.",
                    person_days=Decimal(rng.randint(5, 60)),
                    budget=Decimal(rng.randint(0, 40) * 1000),
                )
            )
        for number in range(1, rng.randint(0, 2) + 1):
            amendments.append(
                Amendment(
                    convention=convention,
                    number=number,
                    signed_on=convention.signed_on + datetime.timedelta(days=200 * number),
                    summary="Prolongation et ajustement des moyens.",
                )
            )
    _batched(ConventionParty, convention_parties, user=author)
    _batched(Commitment, commitments, user=author)
    _batched(Amendment, amendments, user=author)
    say(f"{len(conventions)} conventions\n")

    # Actions, their partners, resources and deliverables.
    actions = []
    per_programme = max(1, scale.actions // len(programmes))
    kinds = [value for value, _ in Action.Kind.choices]
    for programme in programmes:
        current = programme.status == Programme.Status.ADOPTED
        for n in range(per_programme):
            status = (
                rng.choice(
                    [Action.Status.PLANNED, Action.Status.IN_PROGRESS, Action.Status.IN_PROGRESS]
                    + [Action.Status.COMPLETED, Action.Status.POSTPONED]
                )
                if current
                else rng.choice([Action.Status.COMPLETED] * 4 + [Action.Status.CANCELLED])
            )
            progress = 100 if status == Action.Status.COMPLETED else rng.randint(0, 90)
            actions.append(
                Action(
                    programme=programme,
                    title=f"{rng.choice(ACTION_WORDS)} {programme.year}-{n + 1:02d}",
                    kind=kinds[n % len(kinds)],
                    theme=rng.choice(themes),
                    lead_organisation=rng.choice(members[programme.agreement_id]),
                    description="Chantier commun du programme.",
                    planned_start=datetime.date(programme.year, 1 + n % 6, 1),
                    planned_end=datetime.date(programme.year, 7 + n % 6, 28),
                    status=status,
                    progress=progress,
                )
            )
    actions = _batched(Action, actions, user=author)
    through = Action.partners.through
    partner_rows, resources, deliverables = [], [], []
    agreement_of_programme = {p.pk: p.agreement_id for p in programmes}
    for action in actions:
        agreement_members = members[agreement_of_programme[action.programme_id]]
        partners = [o for o in agreement_members if o.pk != action.lead_organisation_id][:2]
        partner_rows += [through(action_id=action.pk, organisation_id=o.pk) for o in partners]
        resources += [
            ActionResource(
                action=action,
                organisation=organisation,
                person_days=Decimal(rng.randint(2, 40)),
                budget=Decimal(rng.randint(0, 20) * 500),
            )
            for organisation in [action.lead_organisation, *partners[:1]]
        ]
        year = action.planned_start.year
        deliverables.append(
            Deliverable(
                action=action,
                title=f"Livrable de « {action.title} »",
                kind=Deliverable.Kind.REPORT,
                due_on=action.planned_end,
                delivered_on=action.planned_end if year < today.year else None,
            )
        )
    through.objects.bulk_create(partner_rows, batch_size=BATCH)
    _batched(ActionResource, resources, user=author)
    _batched(Deliverable, deliverables, user=author)
    say(f"{len(actions)} actions\n")

    # Participants, agenda, reviews, decisions and follow-ups of the meetings.
    staff_by_organisation = {}
    profiles = StaffProfile.objects.filter(user__in=users).order_by("user_id")
    for profile in profiles.only("user_id", "organisation_id"):
        staff_by_organisation.setdefault(profile.organisation_id, []).append(profile.user_id)
    actions_by_programme = {}
    for action in actions:
        actions_by_programme.setdefault(action.programme_id, []).append(action)
    programme_of = {(p.agreement_id, p.year): p for p in programmes}
    participants, items, reviews, decisions, tasks = [], [], [], [], []
    for meeting in meetings:
        people = []
        for organisation in members[meeting.agreement_id]:
            people += staff_by_organisation.get(organisation.pk, [])[:2]
        for position, user_id in enumerate(people[:6]):
            participants.append(
                Participant(
                    meeting=meeting,
                    user_id=user_id,
                    role=Participant.Role.CHAIR if position == 0 else Participant.Role.PARTICIPANT,
                    attendance=Participant.Attendance.PRESENT
                    if meeting.status != Meeting.Status.PLANNED
                    else Participant.Attendance.INVITED,
                )
            )
        programme = programme_of.get((meeting.agreement_id, meeting.starts_at.year))
        reviewed = (
            rng.sample(actions_by_programme.get(programme.pk, []), k=4)
            if programme and len(actions_by_programme.get(programme.pk, [])) >= 4
            else []
        )
        for position, action in enumerate(reviewed):
            items.append(
                AgendaItem(meeting=meeting, position=position, title=action.title, action=action)
            )
            if meeting.status != Meeting.Status.PLANNED:
                reviews.append(
                    ActionReview(
                        action=action,
                        meeting=meeting,
                        status=action.status,
                        progress=action.progress,
                        comment="Avancement conforme au calendrier.",
                    )
                )
        items += [
            AgendaItem(meeting=meeting, position=10, title="Questions diverses"),
            AgendaItem(meeting=meeting, position=11, title="Calendrier des prochains rendez-vous"),
        ]
        if meeting.status != Meeting.Status.PLANNED:
            decisions.append(
                Decision(meeting=meeting, text="Le calendrier des chantiers est validé.")
            )
            owner = people[0] if people else None
            done = meeting.starts_at.date() < today - datetime.timedelta(days=60)
            tasks.append(
                FollowUpTask(
                    meeting=meeting,
                    title="Transmettre le compte rendu aux équipes",
                    owner_id=owner,
                    due_on=meeting.starts_at.date() + datetime.timedelta(days=15),
                    done=done,
                    done_on=meeting.starts_at.date() + datetime.timedelta(days=10)
                    if done
                    else None,
                )
            )
    _batched(Participant, participants, user=author)
    _batched(AgendaItem, items, user=author)
    _batched(ActionReview, reviews, user=author)
    _batched(Decision, decisions, user=author)
    _batched(FollowUpTask, tasks, user=author)
    say(
        f"{len(participants)} participants, {len(items)} agenda items, {len(reviews)} reviews, "
        f"{len(decisions)} decisions, {len(tasks)} follow-up tasks\n"
    )
    _discussion(rng, scale, actions, members, staff_by_organisation, author, say)


COMMENT_WORDS = [
    "Le calendrier tient, la relecture est prévue la semaine prochaine.",
    "Pouvez-vous partager la dernière version du document ?",
    "**Point d’attention** : les données régionales arrivent en retard.",
    "Merci pour la synthèse, elle sera présentée au prochain comité.",
]
NOTIFIED_KINDS = [Event.COMMENT, Event.STATUS_CHANGED, Event.REVIEW_RECORDED, Event.MENTION]


def _discussion(rng, scale, actions, members, staff_by_organisation, author, say):
    """Comments on one action in ten, each commenter following it, and the notifications of a
    few years of work (most of them read), a share for the benchmark's coordinator."""
    now = timezone.now()
    people_of = {}
    for agreement_id, organisations in members.items():
        people_of[agreement_id] = [
            user_id
            for organisation in organisations
            for user_id in staff_by_organisation.get(organisation.pk, [])
        ]
    agreement_of = dict(
        Programme.objects.filter(pk__in={action.programme_id for action in actions}).values_list(
            "pk", "agreement_id"
        )
    )
    comments, follows = [], {}
    for action in actions[::10]:
        people = people_of[agreement_of[action.programme_id]]
        if not people:
            continue
        for position in range(2):
            user_id = rng.choice(people)
            comments.append(
                Comment(
                    action=action,
                    author_id=user_id,
                    body=rng.choice(COMMENT_WORDS),
                    created_at=now - datetime.timedelta(days=rng.randint(1, 700), hours=position),
                )
            )
            follows[(user_id, action.pk)] = Follow(user_id=user_id, action=action)
    _batched(Comment, comments, user=author)
    Follow.objects.bulk_create(follows.values(), batch_size=BATCH)
    coordinator = get_user_model().objects.filter(username="anact.coordinateur").first()
    notifications = []
    for index in range(scale.notifications):
        action = actions[rng.randrange(len(actions))]
        people = people_of[agreement_of[action.programme_id]]
        if coordinator is not None and index % 25 == 0:
            recipient_id = coordinator.pk  # Anact is party to every agreement of the scale
        elif people:
            recipient_id = rng.choice(people)
        else:
            continue
        created_at = now - datetime.timedelta(minutes=rng.randint(1, 60 * 24 * 700))
        notifications.append(
            Notification(
                recipient_id=recipient_id,
                kind=rng.choice(NOTIFIED_KINDS),
                actor_id=rng.choice(people) if people else None,
                action=action,
                within_id=agreement_of[action.programme_id],
                created_at=created_at,
                read_at=None if rng.random() < 0.2 else created_at,
            )
        )
    Notification.objects.bulk_create(notifications, batch_size=BATCH)
    say(f"{len(comments)} comments, {len(follows)} follows, {len(notifications)} notifications\n")
