"""The back office of programmes, actions, their contacts, resources and deliverables."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db import transaction
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnership.core.admin import (
    HistoryAdmin,
    Inline,
    lifecycle_action,
    transition_action,
)
from partnership.core.forms import OneLineMixin
from partnership.core.lifecycle import TransitionError
from partnership.documents.admin import DocumentInline
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
)
from partnership.programmes.services import (
    action_transition,
    programme_adopt,
    programme_approval_organisations,
    programme_approve,
    programme_close,
    programme_prepare_next_year,
    programme_propose,
    programme_withdraw,
)

# Programmes and actions ----------------------------------------------------------------


class AdoptingMeetingField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        day = formats.date_format(timezone.localtime(obj.starts_at), "SHORT_DATE_FORMAT")
        return f"{obj.agreement.reference} – {day} – {obj.title}"


class ProgrammeActionForm(OneLineMixin, ActionForm):
    """The action bar of programmes: adopting needs the meeting that adopted it."""

    meeting = AdoptingMeetingField(
        label=_("Adopted at the meeting (adopt):"),
        queryset=Programme.adopting_meetings().select_related("agreement").order_by("-starts_at"),
        required=False,
    )


def _adopt(programme, user, meeting):
    """Record, as the administrator, the approval of every party still to approve.

    Adoption needs every party's approval (see ``programme_approve``); from the back
    office an administrator records those still missing at once, the last one adopting the
    programme at the chosen meeting. All of them or none.
    """
    if meeting is None:
        raise TransitionError(gettext("Choose the meeting that adopted the programme."))
    with transaction.atomic():
        waiting = programme_approval_organisations(programme=programme, user=user)
        if not waiting:
            return programme_adopt(programme=programme, user=user, meeting=meeting)
        for organisation in waiting:
            approval = programme_approve(
                programme=programme, user=user, meeting=meeting, organisation=organisation
            )
        return approval.programme


class ActionInline(Inline):
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
            lambda obj, user: programme_propose(programme=obj, user=user),
        ),
        lifecycle_action(
            Programme,
            "withdraw",
            lambda obj, user: programme_withdraw(programme=obj, user=user),
        ),
        lifecycle_action(Programme, "adopt", _adopt, inputs=["meeting"]),
        # The annual review (bilan) is the programme's own field, written on its page first.
        lifecycle_action(
            Programme,
            "close",
            lambda obj, user: programme_close(programme=obj, user=user, review=obj.review),
        ),
        transition_action(
            "prepare_next_year",
            _("prepare next year"),
            lambda obj, user: programme_prepare_next_year(programme=obj, user=user),
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("joint actions"), ordering="action_count")
    def action_count(self, obj):
        return obj.action_count


class ActionContactInline(Inline):
    model = ActionContact
    autocomplete_fields = ["organisation", "user", "contact"]
    extra = 0


class ActionResourceInline(Inline):
    model = ActionResource
    autocomplete_fields = ["organisation"]
    extra = 0


class DeliverableInline(Inline):
    model = Deliverable
    fields = ["title", "kind", "due_on", "delivered_on", "link"]
    extra = 0
    show_change_link = True


def _action_transition(name):
    return lifecycle_action(
        Action,
        name,
        lambda obj, user: action_transition(action=obj, user=user, name=name),
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
