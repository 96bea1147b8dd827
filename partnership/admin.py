"""The back office of the partnership app: organisations, people, agreements, programmes,
actions, meetings and documents. Status changes go through the services, as admin actions."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnership.agreements.models import Agreement, AgreementParty
from partnership.core.admin import (
    DocumentForm,
    HistoryAdmin,
    ReasonActionForm,
    lifecycle_action,
    transition_action,
)
from partnership.core.lifecycle import TransitionError
from partnership.directory.models import Contact, Organisation, StaffProfile, Theme
from partnership.documents.models import Document
from partnership.meetings.models import (
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
)
from partnership.programmes import services
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
)
from partnership.rules import is_administrator

User = get_user_model()

admin.site.site_header = _("Partnership tracker – back office")
admin.site.site_title = _("Partnership tracker")
admin.site.index_title = _("Back office")


def administrators_only(request):
    """Only administrators (partnership.rules) enter the back office, whatever is_staff says."""
    return request.user.is_active and request.user.is_staff and is_administrator.test(request.user)


admin.site.has_permission = administrators_only


# Shared inlines ------------------------------------------------------------------------


class DocumentInline(admin.TabularInline):
    """Documents attached to the record of the page (agreement, convention, meeting...)."""

    model = Document
    form = DocumentForm
    fields = ["title", "kind", "file", "original_name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["original_name", "size", "uploaded_by", "uploaded_at"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


# Organisations and people --------------------------------------------------------------


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["last_name", "first_name", "email", "phone", "job_title"]
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    list_display = ["name", "acronym", "kind", "parent", "region", "staff_count"]
    list_select_related = ["parent"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "acronym"]
    autocomplete_fields = ["parent"]
    inlines = [ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_count=Count("staff"))

    @admin.display(description=_("staff members"), ordering="staff_count")
    def staff_count(self, obj):
        return obj.staff_count


@admin.register(StaffProfile)
class StaffProfileAdmin(HistoryAdmin):
    list_display = ["__str__", "user", "organisation", "job_title", "role"]
    list_select_related = ["user", "organisation"]
    list_filter = ["role", "organisation__kind"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "organisation__name",
        "organisation__acronym",
    ]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = ["last_name", "first_name", "organisation", "email", "phone", "job_title"]
    list_select_related = ["organisation"]
    list_filter = ["organisation__kind"]
    search_fields = [
        "last_name",
        "first_name",
        "email",
        "organisation__name",
        "organisation__acronym",
    ]
    autocomplete_fields = ["organisation"]


@admin.register(Theme)
class ThemeAdmin(HistoryAdmin):
    list_display = ["name", "code", "is_active", "action_count"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "description"]
    prepopulated_fields = {"code": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("joint actions"), ordering="action_count")
    def action_count(self, obj):
        return obj.action_count


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fk_name = "user"
    autocomplete_fields = ["organisation"]
    can_delete = False
    max_num = 1


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the staff member's organisation, job title and role."""

    inlines = [StaffProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "organisation", "is_staff"]
    list_select_related = ["profile__organisation"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__role"]
    search_fields = [*DjangoUserAdmin.search_fields, "profile__organisation__name"]

    @admin.display(description=_("organisation"), ordering="profile__organisation__name")
    def organisation(self, obj):
        try:
            return obj.profile.organisation
        except ObjectDoesNotExist:
            return None


# Framework agreements ------------------------------------------------------------------


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    autocomplete_fields = ["organisation"]
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(HistoryAdmin):
    list_display = [
        "reference",
        "title",
        "status",
        "signed_on",
        "starts_on",
        "ends_on",
        "notice_by",
        "party_count",
    ]
    list_filter = ["status", "tacit_renewal", "meeting_frequency"]
    search_fields = ["reference", "title", "purpose"]
    date_hierarchy = "starts_on"
    readonly_fields = ["status", "notice_by", "terminated_on", "termination_reason"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "purpose", "status"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "signed_on",
                    "starts_on",
                    "ends_on",
                    "tacit_renewal",
                    "notice_period_months",
                    "notice_by",
                ]
            },
        ),
        (_("Governance"), {"fields": ["steering_committee", "meeting_frequency"]}),
        (_("Termination"), {"fields": ["terminated_on", "termination_reason"]}),
    ]
    inlines = [AgreementPartyInline, DocumentInline]
    action_form = ReasonActionForm
    actions = [
        lifecycle_action(
            Agreement,
            "negotiate",
            lambda obj, user: services.agreement_negotiate(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "sign",
            lambda obj, user: services.agreement_sign(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "expire",
            lambda obj, user: services.agreement_expire(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "terminate",
            lambda obj, user, reason: services.agreement_terminate(
                agreement=obj, user=user, reason=reason
            ),
            inputs=["reason"],
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(party_count=Count("parties"))

    @admin.display(description=_("parties"), ordering="party_count")
    def party_count(self, obj):
        return obj.party_count

    @admin.display(description=_("notice date"))
    def notice_by(self, obj):
        return obj.notice_date


@admin.register(AgreementParty)
class AgreementPartyAdmin(HistoryAdmin):
    list_display = ["organisation", "agreement", "signatory_name", "signatory_title", "signed_on"]
    list_select_related = ["organisation", "agreement"]
    list_filter = ["agreement"]
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "agreement__reference",
        "signatory_name",
    ]
    autocomplete_fields = ["agreement", "organisation"]


# Programmes and actions ----------------------------------------------------------------


class AdoptingMeetingField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        day = formats.date_format(timezone.localtime(obj.starts_at), "SHORT_DATE_FORMAT")
        return f"{obj.agreement.reference} – {day} – {obj.title}"


class ProgrammeActionForm(ActionForm):
    """The action bar of programmes: adopting needs the meeting that adopted it."""

    meeting = AdoptingMeetingField(
        label=_("Adopted at the meeting (adopt):"),
        queryset=Meeting.objects.filter(
            status__in=[Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED]
        )
        .select_related("agreement")
        .order_by("-starts_at"),
        required=False,
    )


def _adopt(programme, user, meeting):
    """Record, as the administrator, the approval of every party still to approve.

    Adoption needs every party's approval (see ``services.programme_approve``); from the back
    office an administrator records those still missing at once, the last one adopting the
    programme at the chosen meeting. All of them or none.
    """
    if meeting is None:
        raise TransitionError(gettext("Choose the meeting that adopted the programme."))
    with transaction.atomic():
        waiting = services.programme_approval_organisations(programme=programme, user=user)
        if not waiting:
            return services.programme_adopt(programme=programme, user=user, meeting=meeting)
        for organisation in waiting:
            approval = services.programme_approve(
                programme=programme, user=user, meeting=meeting, organisation=organisation
            )
        return approval.programme


class ActionInline(admin.TabularInline):
    model = Action
    fields = ["title", "kind", "theme", "lead_organisation", "status", "progress"]
    readonly_fields = ["status"]
    autocomplete_fields = ["theme", "lead_organisation"]
    extra = 0
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(HistoryAdmin):
    list_display = [
        "__str__",
        "agreement",
        "year",
        "status",
        "action_count",
        "adopted_on",
        "adopted_at",
        "closed_on",
    ]
    list_select_related = ["agreement", "adopted_at"]
    list_filter = ["status", "year", "agreement"]
    search_fields = ["title", "summary", "agreement__reference", "agreement__title", "=year"]
    autocomplete_fields = ["agreement"]
    readonly_fields = ["status", "adopted_on", "adopted_at", "closed_on"]
    fields = [
        "agreement",
        "year",
        "title",
        "summary",
        "status",
        "adopted_on",
        "adopted_at",
        "review",
        "closed_on",
    ]
    inlines = [ActionInline]
    action_form = ProgrammeActionForm
    actions = [
        lifecycle_action(
            Programme,
            "propose",
            lambda obj, user: services.programme_propose(programme=obj, user=user),
        ),
        lifecycle_action(
            Programme,
            "withdraw",
            lambda obj, user: services.programme_withdraw(programme=obj, user=user),
        ),
        lifecycle_action(Programme, "adopt", _adopt, inputs=["meeting"]),
        # The annual review (bilan) is the programme's own field, written on its page first.
        lifecycle_action(
            Programme,
            "close",
            lambda obj, user: services.programme_close(programme=obj, user=user, review=obj.review),
        ),
        transition_action(
            "prepare_next_year",
            _("prepare next year"),
            lambda obj, user: services.programme_prepare_next_year(programme=obj, user=user),
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("joint actions"), ordering="action_count")
    def action_count(self, obj):
        return obj.action_count


class ActionContactInline(admin.TabularInline):
    model = ActionContact
    autocomplete_fields = ["organisation", "user", "contact"]
    extra = 0


class ActionResourceInline(admin.TabularInline):
    model = ActionResource
    autocomplete_fields = ["organisation"]
    extra = 0


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    fields = ["title", "kind", "due_on", "delivered_on", "link"]
    extra = 0
    show_change_link = True


class ActionReviewInline(admin.TabularInline):
    model = ActionReview
    fields = ["action", "meeting", "status", "progress", "comment", "recorded_by"]
    readonly_fields = ["recorded_by"]
    autocomplete_fields = ["action", "meeting"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class ActionReviewOfActionInline(ActionReviewInline):
    fields = ["meeting", "status", "progress", "comment", "recorded_by"]


class ActionReviewAtMeetingInline(ActionReviewInline):
    fields = ["action", "status", "progress", "comment", "recorded_by"]


def _action_transition(name):
    return lifecycle_action(
        Action,
        name,
        lambda obj, user: services.action_transition(action=obj, user=user, name=name),
    )


@admin.register(Action)
class ActionAdmin(HistoryAdmin):
    list_display = [
        "title",
        "programme",
        "kind",
        "theme",
        "lead_organisation",
        "status",
        "progress",
        "planned_start",
        "planned_end",
        "deliverable_count",
    ]
    list_select_related = ["programme", "theme", "lead_organisation"]
    list_filter = ["status", "kind", "theme", "programme__year", "programme__agreement"]
    search_fields = [
        "title",
        "description",
        "objectives",
        "lead_organisation__name",
        "lead_organisation__acronym",
    ]
    date_hierarchy = "planned_start"
    autocomplete_fields = [
        "programme",
        "theme",
        "lead_organisation",
        "partners",
        "convention",
        "continues",
    ]
    readonly_fields = ["status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["programme", "title", "kind", "theme", "status", "progress"]}),
        (_("Organisations"), {"fields": ["lead_organisation", "partners", "convention"]}),
        (_("Content"), {"fields": ["description", "objectives"]}),
        (
            _("Dates"),
            {"fields": ["planned_start", "planned_end", "continues", "created_at", "updated_at"]},
        ),
    ]
    inlines = [
        ActionContactInline,
        ActionResourceInline,
        DeliverableInline,
        ActionReviewOfActionInline,
    ]
    actions = [
        _action_transition(name) for name in ("start", "complete", "postpone", "replan", "cancel")
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(deliverable_count=Count("deliverables"))

    @admin.display(description=_("deliverables"), ordering="deliverable_count")
    def deliverable_count(self, obj):
        return obj.deliverable_count


@admin.register(ActionContact)
class ActionContactAdmin(HistoryAdmin):
    list_display = ["__str__", "action", "organisation", "role"]
    list_select_related = ["action", "organisation", "user", "contact"]
    list_filter = ["role"]
    search_fields = [
        "action__title",
        "organisation__name",
        "organisation__acronym",
        "user__first_name",
        "user__last_name",
        "contact__first_name",
        "contact__last_name",
    ]
    autocomplete_fields = ["action", "organisation", "user", "contact"]


@admin.register(ActionResource)
class ActionResourceAdmin(HistoryAdmin):
    list_display = ["action", "organisation", "person_days", "budget"]
    list_select_related = ["action", "organisation"]
    search_fields = ["action__title", "organisation__name", "organisation__acronym"]
    autocomplete_fields = ["action", "organisation"]


@admin.register(Deliverable)
class DeliverableAdmin(HistoryAdmin):
    list_display = ["title", "action", "kind", "due_on", "delivered_on", "overdue"]
    list_select_related = ["action"]
    list_filter = ["kind", ("delivered_on", admin.EmptyFieldListFilter)]
    search_fields = ["title", "action__title", "link"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["action"]
    inlines = [DocumentInline]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue


# Meetings ------------------------------------------------------------------------------


class ParticipantInline(admin.TabularInline):
    model = Participant
    autocomplete_fields = ["user", "contact"]
    extra = 0


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["position", "title", "notes", "action", "convention", "programme", "follow_up"]
    autocomplete_fields = ["action", "convention", "programme", "follow_up"]
    extra = 0


class DecisionInline(admin.TabularInline):
    model = Decision
    autocomplete_fields = ["agenda_item"]
    extra = 0


class FollowUpTaskInline(admin.TabularInline):
    model = FollowUpTask
    autocomplete_fields = ["owner", "owner_contact"]
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    list_display = ["title", "agreement", "kind", "starts_at", "place", "status", "participants"]
    list_select_related = ["agreement"]
    list_filter = ["status", "kind", "agreement"]
    search_fields = ["title", "place", "minutes", "agreement__reference"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["agreement", "working_group"]
    readonly_fields = ["status", "minutes_approved_on", "minutes_approved_by"]
    fieldsets = [
        (None, {"fields": ["agreement", "kind", "title", "working_group", "status"]}),
        (_("When and where"), {"fields": ["starts_at", "ends_at", "place", "video_link"]}),
        (_("Minutes"), {"fields": ["minutes", "minutes_approved_on", "minutes_approved_by"]}),
    ]
    inlines = [
        ParticipantInline,
        AgendaItemInline,
        DecisionInline,
        FollowUpTaskInline,
        ActionReviewAtMeetingInline,
        DocumentInline,
    ]
    action_form = ReasonActionForm
    actions = [
        lifecycle_action(
            Meeting, "hold", lambda obj, user: services.meeting_hold(meeting=obj, user=user)
        ),
        lifecycle_action(
            Meeting, "cancel", lambda obj, user: services.meeting_cancel(meeting=obj, user=user)
        ),
        lifecycle_action(
            Meeting,
            "approve_minutes",
            lambda obj, user: services.meeting_approve_minutes(meeting=obj, user=user),
        ),
        lifecycle_action(
            Meeting,
            "reopen",
            lambda obj, user, reason: services.meeting_reopen(
                meeting=obj, user=user, reason=reason
            ),
            inputs=["reason"],
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_count=Count("participants"))

    @admin.display(description=_("participants"), ordering="participant_count")
    def participants(self, obj):
        return obj.participant_count


@admin.register(Participant)
class ParticipantAdmin(HistoryAdmin):
    list_display = ["__str__", "meeting", "role", "attendance"]
    list_select_related = ["meeting", "user", "contact"]
    list_filter = ["role", "attendance"]
    search_fields = [
        "meeting__title",
        "user__first_name",
        "user__last_name",
        "user__username",
        "contact__first_name",
        "contact__last_name",
    ]
    autocomplete_fields = ["meeting", "user", "contact"]


@admin.register(AgendaItem)
class AgendaItemAdmin(HistoryAdmin):
    list_display = ["title", "meeting", "position", "action", "convention", "programme"]
    list_select_related = ["meeting", "action", "convention", "programme"]
    search_fields = ["title", "notes", "meeting__title"]
    autocomplete_fields = ["meeting", "action", "convention", "programme", "follow_up"]


@admin.register(Decision)
class DecisionAdmin(HistoryAdmin):
    list_display = ["__str__", "meeting", "agenda_item"]
    list_select_related = ["meeting", "agenda_item"]
    search_fields = ["text", "meeting__title"]
    autocomplete_fields = ["meeting", "agenda_item"]


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(HistoryAdmin):
    list_display = ["title", "meeting", "owner", "owner_contact", "due_on", "done", "done_on"]
    list_select_related = ["meeting", "owner", "owner_contact"]
    list_filter = ["done"]
    search_fields = [
        "title",
        "meeting__title",
        "owner__first_name",
        "owner__last_name",
        "owner_contact__last_name",
    ]
    date_hierarchy = "due_on"
    autocomplete_fields = ["meeting", "owner", "owner_contact"]


@admin.register(ActionReview)
class ActionReviewAdmin(HistoryAdmin):
    list_display = ["action", "meeting", "status", "progress", "recorded_by", "recorded_at"]
    list_select_related = ["action", "meeting", "recorded_by"]
    list_filter = ["status"]
    search_fields = ["action__title", "meeting__title", "comment"]
    autocomplete_fields = ["action", "meeting"]
    readonly_fields = ["recorded_by", "recorded_at"]


# Documents -----------------------------------------------------------------------------


@admin.register(Document)
class DocumentAdmin(HistoryAdmin):
    form = DocumentForm
    list_display = [
        "title",
        "kind",
        "attached",
        "original_name",
        "file_size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_select_related = [
        "agreement",
        "convention",
        "amendment__convention",
        "meeting",
        "deliverable",
        "uploaded_by",
    ]
    list_filter = ["kind"]
    search_fields = ["title", "original_name"]
    date_hierarchy = "uploaded_at"
    autocomplete_fields = ["agreement", "convention", "amendment", "meeting", "deliverable"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "kind",
                    "file",
                    "original_name",
                    "content_type",
                    "size",
                    "uploaded_by",
                    "uploaded_at",
                ]
            },
        ),
        (
            _("Attached to (exactly one)"),
            {"fields": ["agreement", "convention", "amendment", "meeting", "deliverable"]},
        ),
    ]

    @admin.display(description=_("attached to"))
    def attached(self, obj):
        if obj.amendment_id:
            return f"{obj.amendment.convention} – {obj.amendment}"
        return obj.attached_to

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj):
        return filesizeformat(obj.size)
