"""Who may see and do what: the one place that decides it.

Visibility: a staff member sees an agreement, and everything that hangs from it, only if
their organisation, or the network head it belongs to, is a party to the agreement that
accepted it (naming an organisation as a party invites it; ``PartyStatus``).
Roles: a reader sees; a contributor also edits the actions, deliverables and follow-up
tasks of their organisation (what an action is, only for its lead organisation; a partner
its own contribution); a coordinator also edits the agreement, its programmes,
conventions, meetings and experimentations, and approves a proposed programme for their own
organisation; an administrator does everything.

Views fetch records through ``Model.objects.visible_to(user)`` (``ScopedQuerySet``, which
asks ``visible()`` here): a record out of scope is a 404. They check the named permissions
registered below with ``user.has_perm(name, obj)`` (403 when seen but not allowed); templates
ask the same permissions through the ``can`` tag (``partnership_tags``), and the back office
through ``BACK_OFFICE``. What a permission alone does not say is a function here, asked by
whoever needs it: for which party a person approves a programme (``approves_programme_for``,
asked by the programme service, the approval page and its form, and the admin), whether an
action form's person keeps the action they save (``keeps_action``), which fields of an
organisation or an action the person changes (``changeable_organisation_fields``,
``changeable_action_fields``, ``contribution_organisation_ids``), which invitations they
answer (``invitations_answered_by``), which accounts hold a role (``with_role``) or see an
agreement (``sees_agreement``), for the reminders' queries.

This module sits just above ``partnership.core`` and imports no subject: it knows the records
by their app labels and reaches the agreement and its parties through the models' own
relations, so that every subject's models can use ``ScopedQuerySet``.
"""

import copy

import rules
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import CharField, Exists, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnership.core.admin import BACK_OFFICE


class Role(models.TextChoices):
    """A staff member's role (``StaffProfile.role``)."""

    READER = "reader", _("reader")
    CONTRIBUTOR = "contributor", _("contributor")
    COORDINATOR = "coordinator", _("coordinator")
    ADMINISTRATOR = "administrator", _("administrator")


ROLE_RANK = {Role.READER: 0, Role.CONTRIBUTOR: 1, Role.COORDINATOR: 2, Role.ADMINISTRATOR: 3}


class PartyStatus(models.TextChoices):
    """Where an organisation named as a party to an agreement stands (``AgreementParty.status``).

    Naming an organisation is an invitation; only an accepted party gives its staff the
    agreement (``visible``), its meetings, reminders and calendar feeds.
    """

    INVITED = "invited", pgettext_lazy("invitation", "awaiting an answer")
    ACCEPTED = "accepted", pgettext_lazy("invitation", "accepted")
    DECLINED = "declined", pgettext_lazy("invitation", "declined")


# The path from each model to the agreement it hangs from ("" for the agreement itself).
AGREEMENT_PATHS = {
    "partnership.agreement": "",
    "partnership.agreementparty": "agreement",
    "partnership.programme": "agreement",
    "partnership.programmeapproval": "programme__agreement",
    "partnership.action": "programme__agreement",
    "partnership.actioncontact": "action__programme__agreement",
    "partnership.actionresource": "action__programme__agreement",
    "partnership.deliverable": "action__programme__agreement",
    "partnership.plannedproject": "agreement",
    "partnership.programmingopening": "agreement",
    "partnership.meeting": "agreement",
    "partnership.participant": "meeting__agreement",
    "partnership.agendaitem": "meeting__agreement",
    "partnership.decision": "meeting__agreement",
    "partnership.followuptask": "meeting__agreement",
    "partnership.actionreview": "meeting__agreement",
    "conventions.convention": "agreement",
    "conventions.conventionparty": "convention__agreement",
    "conventions.commitment": "convention__agreement",
    "conventions.amendment": "convention__agreement",
    "experimentations.experimentation": "agreement",
    "experimentations.experimentationpartner": "experimentation__agreement",
    "experimentations.territory": "experimentation__agreement",
    "experimentations.enrolledcompany": "experimentation__agreement",
    "experimentations.evaluation": "experimentation__agreement",
    "experimentations.stagecriterion": "experimentation__agreement",
    "experimentations.stagedecision": "experimentation__agreement",
    "experimentations.criterionassessment": "decision__experimentation__agreement",
    "experimentations.indicator": "experimentation__agreement",
    "experimentations.measurement": "indicator__experimentation__agreement",
}
# The shared directories every staff member sees.
DIRECTORY_LABELS = {
    "partnership.organisation",
    "partnership.staffprofile",
    "partnership.contact",
    "partnership.theme",
}
DOCUMENT_PATHS = {
    "agreement": "agreement",
    "convention": "convention__agreement",
    "amendment": "amendment__convention__agreement",
    "meeting": "meeting__agreement",
    "deliverable": "deliverable__action__programme__agreement",
}
# What a notification (partnership.discussion) can be about, and the path from each to its
# agreement, copied into the notification's ``within`` when it is made; a request to join an
# organisation is seen by that organisation's coordinators.
NOTIFICATION_PATHS = {
    "agreement": "agreement",
    "programme": "programme__agreement",
    "action": "action__programme__agreement",
    "deliverable": "deliverable__action__programme__agreement",
    "meeting": "meeting__agreement",
    "follow_up_task": "follow_up_task__meeting__agreement",
    "convention": "convention__agreement",
    "experimentation": "experimentation__agreement",
}
# The records people comment on (partnership.discussion), and the path from each to its
# agreement: whoever may see the record sees and writes its comments.
COMMENT_PATHS = {
    field: NOTIFICATION_PATHS[field]
    for field in ("action", "deliverable", "meeting", "convention", "experimentation")
}


# The person ---------------------------------------------------------------------------


def profile_of(user):
    """The staff profile of the user, fetched once per user object (per request), with the
    agreements it gives the person (``agreement_ids``) read in the same query."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_staff_profile"):
        profiles = get_user_model()._meta.get_field("profile").related_model.objects
        user._staff_profile = (
            profiles.select_related("organisation")
            .annotate(party_to=_agreements_party_to())
            .filter(user=user)
            .first()
        )
    return user._staff_profile


def _agreements_party_to():
    """The ids of the agreements the profile's organisation, or its network head, is an
    accepted party to, joined by commas (NULL for none): a subquery of the profile's query."""
    parties = apps.get_model("partnership", "agreementparty").objects
    return Subquery(
        parties.filter(
            Q(organisation=OuterRef("organisation_id"))
            | Q(organisation=OuterRef("organisation__parent_id")),
            status=PartyStatus.ACCEPTED,
        )
        .order_by()
        .values("status")
        .annotate(ids=StringAgg(Cast("agreement_id", CharField()), Value(",")))
        .values("ids")
    )


def profile_read(user) -> bool:
    """Whether the person's profile was read already in this request."""
    return hasattr(user, "_staff_profile")


def remember_profile(user, profile):
    """Give ``profile_of`` the user's profile (with its organisation) fetched already."""
    user._staff_profile = profile


def role_of(user):
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    profile = profile_of(user)
    return profile.role if profile else None


def has_role(user, role) -> bool:
    current = role_of(user)
    return current is not None and ROLE_RANK[current] >= ROLE_RANK[role]


def organisation_ids(user) -> set[int]:
    """The person's organisation and the network head it belongs to."""
    profile = profile_of(user)
    if profile is None:
        return set()
    ids = {profile.organisation_id}
    if profile.organisation.parent_id:
        ids.add(profile.organisation.parent_id)
    return ids


def with_role(role) -> Q:
    """The condition on accounts that ``has_role(user, role)`` holds, to select people in a query.

    An active account whose staff profile has the role or a higher one, or a superuser (an
    administrator whatever their profile says).
    """
    roles = [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role]]
    return Q(is_active=True) & (Q(profile__role__in=roles) | Q(is_superuser=True))


# Scopes -------------------------------------------------------------------------------


def _agreement_model(model, path: str):
    """The model at the end of the path (the agreement), followed through the relations."""
    for step in path.split("__") if path else []:
        model = model._meta.get_field(step).related_model
    return model


def agreement_ids(user) -> list[int] | None:
    """The agreements the person sees as a staff member (``visible``), as read with their
    profile; None when it was not (a profile given by ``remember_profile``) or when there is
    none, for the caller to fall back on the party condition."""
    profile = profile_of(user)
    party_to = getattr(profile, "party_to", None)
    if not party_to:
        return None
    return sorted({int(pk) for pk in party_to.split(",")})


def _scope_condition(model, path: str, user, ids) -> Q | Exists:
    """The record at ``path`` from ``model`` hangs from an agreement the person sees: the
    agreements' ids read once with their profile, else the party condition (which compiles
    into a correlated subquery in each query, several times dearer)."""
    agreements = agreement_ids(user)
    if agreements is None:
        return _party_condition(model, path, ids)
    return Q(**{f"{path or 'pk'}__in": agreements})


def scope_key(user) -> tuple:
    """What ``visible`` decides by which records of the agreements' subjects (the models of
    ``AGREEMENT_PATHS``) a person sees, as plain values: two people with the same key see the
    same ones. It keys what is kept for everyone who sees the same (partnership.core.fragments).
    """
    if has_role(user, Role.ADMINISTRATOR):
        return ("all",)
    ids = organisation_ids(user)
    if not ids:
        return ("none",)
    agreements = agreement_ids(user)
    if agreements is None:  # the party condition, in SQL: on the parties' table as it is
        return ("parties", tuple(sorted(ids)))
    return ("agreements", tuple(agreements))


def _party_condition(model, path: str, ids) -> Exists:
    """The agreement at ``path`` from ``model`` has one of the organisations as a party."""
    parties = _agreement_model(model, path)._meta.get_field("parties").related_model
    return Exists(
        parties.objects.filter(
            agreement=OuterRef(path or "pk"),
            organisation_id__in=list(ids),
            status=PartyStatus.ACCEPTED,
        )
    )


def visible(queryset, user):
    """The records of the queryset the person may see."""
    label = queryset.model._meta.label_lower
    if label == "partnership.notification":
        return _visible_notifications(queryset, user)
    if has_role(user, Role.ADMINISTRATOR):
        return queryset
    ids = organisation_ids(user)
    if not ids:
        return queryset.none()
    if label == "partnership.accessrequest":
        # The requests to join the person's own organisation, for its coordinators.
        if not has_role(user, Role.COORDINATOR):
            return queryset.none()
        return queryset.filter(organisation_id=_own_organisation_id(user))
    if label in ("partnership.document", "partnership.comment"):
        paths = DOCUMENT_PATHS if label == "partnership.document" else COMMENT_PATHS
        condition = Q()
        for field, path in paths.items():
            condition |= Q(**{f"{field}__isnull": False}) & _scope_condition(
                queryset.model, path, user, ids
            )
        return queryset.filter(condition)
    if label in DIRECTORY_LABELS:
        return queryset
    if label not in AGREEMENT_PATHS:
        raise ValueError(f"No visibility rule for {label}: add it to partnership.rules.")
    return queryset.filter(_scope_condition(queryset.model, AGREEMENT_PATHS[label], user, ids))


def _visible_notifications(queryset, user):
    """A person's own notifications, about records they may still see: checked when shown,
    so that someone who lost access to a record no longer sees what was said of it."""
    if not user.is_authenticated:
        return queryset.none()
    queryset = queryset.filter(recipient=user)
    if has_role(user, Role.ADMINISTRATOR):
        return queryset
    ids = organisation_ids(user)
    if not ids:
        return queryset.none()
    condition = Q(within__isnull=False) & _scope_condition(queryset.model, "within", user, ids)
    if has_role(user, Role.COORDINATOR):
        condition |= Q(access_request__organisation_id=_own_organisation_id(user))
        # An invitation still waiting for the person's organisation's answer.
        condition |= Q(kind="party_invitation") & Exists(
            apps.get_model("partnership", "AgreementParty").objects.filter(
                agreement=OuterRef("agreement"),
                organisation_id=_own_organisation_id(user),
                status=PartyStatus.INVITED,
            )
        )
    return queryset.filter(condition)


def seen_by_recipient() -> Q:
    """The condition on notifications that their recipient may still see what they are about,
    as ``_visible_notifications`` decides it, written on the recipient's own profile: the bell
    counts a person's unread notifications in one query, whether or not the page fetched the
    person's profile."""
    model = apps.get_model("partnership", "Notification")
    condition = Q(within__isnull=False) & sees_agreement(model, "recipient", "within")
    coordinators = [name for name, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role.COORDINATOR]]
    condition |= Q(
        access_request__organisation=models.F("recipient__profile__organisation"),
        recipient__profile__role__in=coordinators,
    ) | (
        Q(access_request__isnull=False)
        & (Q(recipient__is_superuser=True) | Q(recipient__profile__role=Role.ADMINISTRATOR))
    )
    condition |= Q(kind="party_invitation", recipient__profile__role__in=coordinators) & Exists(
        apps.get_model("partnership", "AgreementParty").objects.filter(
            agreement=OuterRef("agreement"),
            organisation=OuterRef("recipient__profile__organisation"),
            status=PartyStatus.INVITED,
        )
    )
    return condition


def bell_tables() -> frozenset[str]:
    """The tables whose rows decide which of a person's unread notifications they may still
    see (``_visible_notifications``, ``seen_by_recipient``), the notifications' own included:
    the bell's count, kept in the shared cache, is drawn again when one of them changes."""
    names = ("Notification", "AccessRequest", "AgreementParty", "Agreement", "Organisation")
    return frozenset(
        model._meta.db_table
        for model in (
            get_user_model(),
            get_user_model()._meta.get_field("profile").related_model,
            *(apps.get_model("partnership", name) for name in names),
        )
    )


class ScopedQuerySet(models.QuerySet):
    """The queryset of every record a person may or may not see: ``visible_to(user)``."""

    def visible_to(self, user):
        return visible(self, user)


def agreement_of(obj):
    """The agreement a record hangs from (None for the shared directories)."""
    label = obj._meta.label_lower
    if label == "partnership.document":
        return agreement_of(obj.attached_to)
    if label == "partnership.comment":
        return agreement_of(obj.target)
    if label not in AGREEMENT_PATHS:
        return None
    target = obj
    path = AGREEMENT_PATHS[label]
    for step in path.split("__") if path else []:
        target = getattr(target, step)
    return target


def prefetch_party_ids(agreements):
    """Load the parties of many agreements in one query, for permission checks in a loop."""
    agreements = list(agreements)
    party_ids = {agreement.pk: set() for agreement in agreements}
    if not agreements:
        return agreements
    parties = type(agreements[0])._meta.get_field("parties").related_model
    for agreement_id, organisation_id in parties.objects.filter(
        agreement__in=agreements, status=PartyStatus.ACCEPTED
    ).values_list("agreement_id", "organisation_id"):
        party_ids[agreement_id].add(organisation_id)
    for agreement in agreements:
        agreement._party_ids = party_ids[agreement.pk]
    return agreements


def agreements_permitting(user, permission, agreements) -> list:
    """The agreements on which the person holds the permission (to offer "new ... under this
    agreement"), their parties fetched in one query."""
    return [
        agreement
        for agreement in prefetch_party_ids(agreements)
        if user.has_perm(permission, agreement)
    ]


def _party_ids(agreement) -> set[int]:
    """The organisations party to the agreement (accepted parties only), fetched once per
    agreement object."""
    if not hasattr(agreement, "_party_ids"):
        agreement._party_ids = set(
            agreement.parties.filter(status=PartyStatus.ACCEPTED).values_list(
                "organisation_id", flat=True
            )
        )
    return agreement._party_ids


def sees_agreement(model, user_path: str, agreement_path: str) -> Q:
    """The condition on records of ``model`` that the person they reach (``user_path``) may
    see the agreement they hang from (``agreement_path``), as ``visible`` decides it: an
    administrator, or a staff member whose organisation, or its network head, is an accepted
    party. For the queries that choose whom to tell (reminders), in one query."""
    parties = _agreement_model(model, agreement_path)._meta.get_field("parties").related_model
    organisation = f"{user_path}__profile__organisation"
    accepted = parties.objects.filter(
        Q(organisation=OuterRef(organisation))
        | Q(organisation=OuterRef(f"{organisation}__parent")),
        agreement=OuterRef(agreement_path or "pk"),
        status=PartyStatus.ACCEPTED,
    )
    administrator = Q(**{f"{user_path}__is_superuser": True}) | Q(
        **{f"{user_path}__profile__role": Role.ADMINISTRATOR}
    )
    return administrator | Exists(accepted)


def people_seeing(agreement_id) -> Q:
    """The condition on accounts that they may see the agreement ``agreement_id`` and what
    hangs from it, as ``visible`` decides it: an active administrator, or an active staff member
    whose organisation, or its network head, is an accepted party. Whom a comment may mention
    and who is told of an event, in one query."""
    parties = apps.get_model("partnership", "AgreementParty")
    accepted = parties.objects.filter(
        Q(organisation=OuterRef("profile__organisation"))
        | Q(organisation=OuterRef("profile__organisation__parent")),
        agreement_id=agreement_id,
        status=PartyStatus.ACCEPTED,
    )
    return Q(is_active=True) & (
        Q(is_superuser=True)
        | Q(profile__role=Role.ADMINISTRATOR)
        | (Q(profile__role__in=list(ROLE_RANK)) & Exists(accepted))
    )


def people_seeing_record(record) -> Q:
    """The condition on accounts that they may see the record: ``people_seeing`` its agreement
    (reached in the same query), or for a request to join an organisation, an administrator
    or a coordinator of that organisation."""
    label = record._meta.label_lower
    if label == "partnership.accessrequest":
        return with_role(Role.ADMINISTRATOR) | (
            with_role(Role.COORDINATOR) & Q(profile__organisation_id=record.organisation_id)
        )
    path = AGREEMENT_PATHS[label]
    if not path:
        return people_seeing(record.pk)
    agreement_id = type(record)._base_manager.filter(pk=record.pk).values(path)[:1]
    return people_seeing(Subquery(agreement_id))


# Predicates ---------------------------------------------------------------------------


@rules.predicate
def is_administrator(user):
    return has_role(user, Role.ADMINISTRATOR)


@rules.predicate
def is_coordinator(user):
    return has_role(user, Role.COORDINATOR)


@rules.predicate
def is_contributor(user):
    return has_role(user, Role.CONTRIBUTOR)


@rules.predicate
def is_staff_member(user):
    return role_of(user) is not None


@rules.predicate
def is_party(user, obj):
    """The record hangs from an agreement the person's organisation, or its network head,
    is party to."""
    if obj is None:
        return True
    agreement = agreement_of(obj)
    if agreement is None:
        return True
    return bool(organisation_ids(user) & _party_ids(agreement))


def _action_organisation_ids(action) -> set[int]:
    if not hasattr(action, "_organisation_ids"):
        if "partners" in getattr(action, "_prefetched_objects_cache", {}):
            partner_ids = {partner.pk for partner in action.partners.all()}  # no query
        else:
            partner_ids = set(action.partners.values_list("pk", flat=True))
        action._organisation_ids = {action.lead_organisation_id} | partner_ids
    return action._organisation_ids


@rules.predicate
def is_own_work(user, obj):
    """An action, deliverable or follow-up task of the person's organisation."""
    if obj is None:
        return True
    mine = organisation_ids(user)
    label = obj._meta.label_lower
    if label == "partnership.action":
        return bool(mine & _action_organisation_ids(obj))
    if label == "partnership.deliverable":
        # Its responsible organisation's, or the lead organisation's (who answers for them all).
        return leads_action(user, obj.action) or (
            obj.responsible_organisation_id is not None
            and obj.responsible_organisation_id == _own_organisation_id(user)
        )
    if label == "partnership.actionresource":
        return bool(mine & _action_organisation_ids(obj.action))
    if label == "partnership.followuptask":
        if obj.owner_id == user.pk:
            return True
        owner_profile = getattr(obj.owner, "profile", None) if obj.owner_id else None
        return owner_profile is not None and owner_profile.organisation_id in mine
    # A contributor may add an action of their organisation to a programme.
    return label == "partnership.programme"


# Each organisation changes its own part of an action ----------------------------------
# What the action is (its title, kind, theme, lead organisation, partners, convention,
# description, dates, progress, status) is changed by a coordinator of a party or by a
# contributor of the lead organisation. A contributor of a partner organisation changes only
# its organisation's contribution: its row of resources, its contacts, the deliverables it is
# responsible for. Forms show the rest read-only and refuse a post that changes it.

ACTION_DEFINITION_FIELDS = (
    "title",
    "kind",
    "theme",
    "lead_organisation",
    "partners",
    "convention",
    "description",
    "objectives",
    "planned_start",
    "planned_end",
    "progress",
    "continues",
    "status",
)


def _coordinates(user, obj) -> bool:
    return is_administrator(user) or (is_coordinator(user) and is_party(user, obj))


def leads_action(user, action) -> bool:
    """The person changes what the action is: a coordinator of a party (or an
    administrator), or a contributor of its lead organisation (their own, not their network
    head's). A new action: the person may create one (they lead it)."""
    if _coordinates(user, action):
        return True
    if not (is_contributor(user) and is_party(user, action)):
        return False
    return action.pk is None or action.lead_organisation_id == _own_organisation_id(user)


def changeable_action_fields(user, action) -> set[str]:
    """The fields of the action (``ACTION_DEFINITION_FIELDS``) the person may change; a
    contributor creating an action leads it: the lead organisation is theirs, not chosen."""
    if not leads_action(user, action):
        return set()
    if action.pk is None and not _coordinates(user, action):
        return set(ACTION_DEFINITION_FIELDS) - {"lead_organisation"}
    return set(ACTION_DEFINITION_FIELDS)


def contribution_organisation_ids(user, action):
    """The organisations whose contribution to the action (resources, contacts, deliverables)
    the person changes: None for every organisation (who leads the action), else their own
    organisation (a partner's contributor), or none."""
    if leads_action(user, action):
        return None
    if user.has_perm("partnership.change_action", action):
        own = _own_organisation_id(user)
        return {own} if own is not None else set()
    return set()


@rules.predicate
def is_action_lead(user, obj):
    return obj is None or leads_action(user, obj)


# Approving a programme ----------------------------------------------------------------
# Each party to the agreement approves a proposed programme; the last approval adopts it.
# A coordinator approves for their own organisation only, when it is itself a party (an Aract
# coordinator does not approve for Anact, although they see its agreements); an administrator
# records the approval of any party, naming it. The service (programme_approve), the approval
# page and its form, and the admin's "adopt" action all ask the functions below.


def approves_programmes(user) -> bool:
    """The person gives approvals of programmes at all: a coordinator or an administrator."""
    return is_coordinator(user)


def approves_for_any_party(user) -> bool:
    """The person records the approval of any party (an administrator), so names the party."""
    return is_administrator(user)


def approves_programme_for(user, organisation_id: int) -> bool:
    """The person may give a programme's approval on behalf of this party to its agreement.

    Whether the organisation is a party at all is the caller's to check (it has its own
    message): this decides only whose approval the person gives.
    """
    if approves_for_any_party(user):
        return True
    profile = profile_of(user)
    return (
        approves_programmes(user)
        and profile is not None
        and profile.organisation_id == organisation_id
    )


@rules.predicate
def approves_for_a_party(user, obj):
    """The person may approve the programme for at least one party to its agreement."""
    if obj is None:
        return False
    agreement = agreement_of(obj)
    return agreement is not None and any(
        approves_programme_for(user, organisation_id) for organisation_id in _party_ids(agreement)
    )


# Keeping an action one edits ----------------------------------------------------------


def keeps_action(user, action, organisations) -> bool:
    """The person may still change the action once these organisations (ids) lead it or are
    its partners: the action form asks it before saving, since a contributor who took their
    organisation off an action would lose it. ``keeps_action(user, action, ())`` is true for
    those who may change any action of the programme, whoever leads it."""
    as_saved = copy.copy(action)
    as_saved._organisation_ids = set(organisations)
    return user.has_perm("partnership.change_action", as_saved)


# Organisations ------------------------------------------------------------------------
# Who an organisation is decides what its staff see: its network head (``parent``) widens
# their reach to the network's agreements, its kind says what it is. Administrators set
# them. A coordinator describes their own organisation (region, website); its name and
# acronym are how every other organisation recognises it (in lists of parties, in an
# invitation), so they too are the administrators' once the organisation exists: a
# coordinator chooses them when creating one.

ORGANISATION_FIELDS = ("name", "acronym", "kind", "parent", "region", "website")
ORGANISATION_DESCRIPTION = ("region", "website")
ORGANISATION_IDENTITY = ("name", "acronym")


def _own_organisation_id(user):
    profile = profile_of(user)
    return profile.organisation_id if profile is not None else None


@rules.predicate
def is_own_organisation(user, obj):
    """The organisation is the person's own (not its network head, not a member of it)."""
    return obj is None or (obj.pk is not None and obj.pk == _own_organisation_id(user))


def changeable_organisation_fields(user, organisation) -> set[str]:
    """The fields of the organisation the person may set (``organisation.pk`` None: the one
    they create)."""
    if is_administrator(user):
        return set(ORGANISATION_FIELDS)
    if not is_coordinator(user):
        return set()
    if organisation.pk is None:
        return {*ORGANISATION_IDENTITY, *ORGANISATION_DESCRIPTION}
    if is_own_organisation(user, organisation):
        return set(ORGANISATION_DESCRIPTION)
    return set()


# Invitations to be a party ------------------------------------------------------------
# Naming an organisation as a party to an agreement invites it; one of its own coordinators
# accepts or declines (an administrator records either for any organisation). Only an
# accepted party gives its staff the agreement: ``visible`` counts accepted parties only.


def answers_invitation_for(user, organisation_id) -> bool:
    """The person accepts or declines an invitation on behalf of this organisation."""
    if is_administrator(user):
        return True
    return is_coordinator(user) and organisation_id == _own_organisation_id(user)


@rules.predicate
def answers_invitation(user, obj):
    """The invitation (an agreement's party) is one the person answers."""
    return obj is not None and answers_invitation_for(user, obj.organisation_id)


def invitations_answered_by(queryset, user):
    """The invitations (parties of ``queryset``) the person answers: their organisation's,
    for a coordinator; every one, for an administrator. They are shown although the
    agreement is not visible to the person yet (who invites, its title and purpose)."""
    if is_administrator(user):
        return queryset
    if not is_coordinator(user):
        return queryset.none()
    return queryset.filter(organisation_id=_own_organisation_id(user))


def invitation_answerers(organisation_id) -> Q:
    """The condition on accounts that they answer the organisation's invitations: its active
    coordinators (administrators answer any, but are not told of every one)."""
    return with_role(Role.COORDINATOR) & Q(profile__organisation_id=organisation_id)


# Each party's programming --------------------------------------------------------------
# The projects an organisation party to an agreement plans on its own are kept by its own
# coordinators and contributors (not its network's, not another party's: an Aract or INRS
# person sees Anact's programming, shared to coordinate, but changes nothing of it); an
# administrator keeps every party's. A coordinator of a party opens the programming early,
# proposes a joint action from projects of several parties, and records that projects are
# coordinated without one.


def enters_programming_for(user, agreement) -> int | None:
    """The organisation whose programming the person enters under the agreement: their own
    when it is an accepted party and they contribute (None otherwise). An administrator
    names the party (``changes_any_programming``)."""
    own = _own_organisation_id(user)
    if own is None or not is_contributor(user) or agreement is None:
        return None
    return own if own in _party_ids(agreement) else None


def programming_entered_in(agreements, user):
    """The agreements of the queryset under which the person enters their organisation's
    programming, as ``enters_programming_for`` decides it for one agreement, in one query:
    their own organisation is an accepted party and they contribute."""
    own = _own_organisation_id(user)
    if own is None or not is_contributor(user):
        return agreements.none()
    parties = apps.get_model("partnership", "AgreementParty").objects
    return agreements.filter(
        Exists(
            parties.filter(
                agreement=OuterRef("pk"), organisation_id=own, status=PartyStatus.ACCEPTED
            )
        )
    )


def changes_any_programming(user) -> bool:
    return is_administrator(user)


@rules.predicate
def keeps_programming(user, obj):
    """For "add" the object is the agreement; else the planned project."""
    if obj is None:
        return False
    if is_administrator(user):
        return True
    if obj._meta.label_lower == "partnership.agreement":
        return enters_programming_for(user, obj) is not None
    return enters_programming_for(
        user, obj.agreement
    ) is not None and obj.organisation_id == _own_organisation_id(user)


can_view = is_administrator | (is_staff_member & is_party)
can_coordinate = is_administrator | (is_coordinator & is_party)
can_contribute = can_coordinate | (is_contributor & is_party & is_own_work)
can_manage_directory = is_administrator | is_coordinator
can_change_organisation = is_administrator | (is_coordinator & is_own_organisation)

# Joining through single sign-on (partnership.directory.sso): a person's first sign-in with
# ProConnect is a request to join the organisation their SIRET or e-mail domain names; a
# coordinator of that organisation (not of its network head) or an administrator approves it
# with a role up to coordinator, or refuses it. Nobody gets a role without that decision.
ROLES_GIVEN_ON_APPROVAL = (Role.READER, Role.CONTRIBUTOR, Role.COORDINATOR)


@rules.predicate
def is_request_to_own_organisation(user, obj):
    return obj is None or obj.organisation_id == _own_organisation_id(user)


@rules.predicate
def is_comment_author(user, obj):
    """The person's own comment, not hidden by a coordinator."""
    return obj is not None and obj.author_id == user.pk and obj.hidden_at is None


@rules.predicate
def is_shown_comment(user, obj):
    return obj is None or obj.hidden_at is None


def roles_given_by(user) -> list:
    """The roles the person may give when approving an access request."""
    if is_administrator(user) or is_coordinator(user):
        return list(ROLES_GIVEN_ON_APPROVAL)
    return []


PERMISSIONS = {
    # The shared directories.
    "partnership.view_organisation": is_staff_member,
    "partnership.add_organisation": can_manage_directory,
    "partnership.change_organisation": can_change_organisation,
    "partnership.delete_organisation": is_administrator,
    "partnership.view_contact": is_staff_member,
    "partnership.add_contact": can_manage_directory,
    "partnership.change_contact": can_manage_directory,
    "partnership.delete_contact": can_manage_directory,
    "partnership.view_theme": is_staff_member,
    "partnership.add_theme": is_administrator,
    "partnership.change_theme": is_administrator,
    "partnership.delete_theme": is_administrator,
    # The agreement and what coordinators run under it.
    "partnership.add_agreement": is_administrator | is_coordinator,
}
for label in (
    "partnership.agreement",
    "partnership.programme",
    "partnership.meeting",
    "conventions.convention",
    "conventions.amendment",
    "experimentations.experimentation",
    "experimentations.enrolledcompany",  # object for "add": the experimentation
    "experimentations.measurement",  # object for "add": the experimentation
    "partnership.document",
):
    app, model = label.split(".")
    PERMISSIONS[f"{app}.view_{model}"] = can_view
    PERMISSIONS.setdefault(f"{app}.add_{model}", can_coordinate)  # object: the parent record
    PERMISSIONS[f"{app}.change_{model}"] = can_coordinate
    PERMISSIONS[f"{app}.delete_{model}"] = can_coordinate
# The day-to-day work contributors do for their organisation.
for model in ("action", "deliverable", "followuptask"):
    PERMISSIONS[f"partnership.view_{model}"] = can_view
    PERMISSIONS[f"partnership.add_{model}"] = can_contribute  # object: the parent record
    PERMISSIONS[f"partnership.change_{model}"] = can_contribute
    PERMISSIONS[f"partnership.delete_{model}"] = can_coordinate
PERMISSIONS["partnership.add_action"] = can_coordinate | (is_contributor & is_party)
PERMISSIONS["partnership.review_action"] = can_coordinate  # record a review at a meeting
# Change what an action is, its status included (object: the action).
PERMISSIONS["partnership.lead_action"] = can_contribute & is_action_lead
# Each party's programming (see "Each party's programming").
PERMISSIONS["partnership.view_plannedproject"] = can_view
for action in ("add", "change", "delete"):
    PERMISSIONS[f"partnership.{action}_plannedproject"] = can_view & keeps_programming
# Open early, propose a joint action, record a coordination (object: the agreement, or a
# project for the coordination).
PERMISSIONS["partnership.coordinate_programming"] = can_coordinate
# Mark a project "coordinated without a joint action": who keeps it, or a party's coordinator.
PERMISSIONS["partnership.coordinate_plannedproject"] = can_view & (
    keeps_programming | can_coordinate
)
# Accept or decline an invitation to be a party (object: the AgreementParty).
PERMISSIONS["partnership.answer_agreementparty"] = answers_invitation
# Approve a proposed programme (see "Approving a programme"); the role first, which needs no
# query.
PERMISSIONS["partnership.approve_programme"] = is_administrator | (
    is_coordinator & approves_for_a_party
)


@rules.predicate
def may_change_attached_record(user, obj):
    """Documents follow their record: who may change the record adds, replaces and deletes
    its documents (object: the document, or for "add" the record it goes to)."""
    is_document = obj is not None and obj._meta.label_lower == "partnership.document"
    record = obj.attached_to if is_document else obj
    if record is None:
        return has_role(user, Role.ADMINISTRATOR)
    meta = record._meta
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}", record)


for action in ("add", "change", "delete"):
    PERMISSIONS[f"partnership.{action}_document"] = may_change_attached_record
# The lock-out records of django-axes: administrators unlock accounts in the back office.
for model in ("accessattempt", "accesslog", "accessfailurelog"):
    PERMISSIONS[f"axes.view_{model}"] = is_administrator
    PERMISSIONS[f"axes.delete_{model}"] = is_administrator
# Bringing back an earlier version of an action, a convention or a meeting's minutes (object:
# the record), and a deleted record from its history (administrators).
PERMISSIONS["partnership.restore_action"] = can_coordinate
PERMISSIONS["partnership.restore_meeting"] = can_coordinate
PERMISSIONS["conventions.restore_convention"] = can_coordinate
PERMISSIONS["partnership.restore_deleted"] = is_administrator

# Access requests of people who signed in through single sign-on (object: the request).
PERMISSIONS["partnership.view_accessrequest"] = is_administrator | is_coordinator
PERMISSIONS["partnership.decide_accessrequest"] = is_administrator | (
    is_coordinator & is_request_to_own_organisation
)
# Linking and unlinking a person's single sign-on identities in the back office.
for action in ("view", "add", "change", "delete"):
    PERMISSIONS[f"partnership.{action}_oidcidentity"] = is_administrator

# The background tasks' results (django-tasks-db): administrators see the failed deliveries.
PERMISSIONS["django_tasks_database.view_dbtaskresult"] = is_administrator
# Comments (partnership.discussion): whoever may see the record reads and writes its thread
# (object for "add": the record); the author edits and deletes their own comment while it is
# not hidden; a coordinator of a party hides one. Following a record (object: the record).
PERMISSIONS["partnership.view_comment"] = can_view
PERMISSIONS["partnership.add_comment"] = can_view
PERMISSIONS["partnership.change_comment"] = can_view & is_comment_author
PERMISSIONS["partnership.delete_comment"] = can_view & is_comment_author
PERMISSIONS["partnership.hide_comment"] = can_coordinate & is_shown_comment
PERMISSIONS["partnership.follow_record"] = can_view

# Entering the back office (partnership.core.admin asks it of every model admin).
PERMISSIONS[BACK_OFFICE] = is_administrator

for name, predicate in PERMISSIONS.items():
    rules.add_perm(name, predicate)
