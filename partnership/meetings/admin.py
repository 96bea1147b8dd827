"""The back office of meetings: participants, agenda, decisions, follow-up tasks, reviews."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from partnership.core.admin import (
    HistoryAdmin,
    Inline,
    ReasonActionForm,
    lifecycle_action,
)
from partnership.documents.admin import DocumentInline
from partnership.meetings.models import (
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
)
from partnership.meetings.services import (
    meeting_approve_minutes,
    meeting_cancel,
    meeting_hold,
    meeting_reopen,
)
from partnership.programmes.admin import ActionAdmin
from partnership.programmes.models import Action


class ActionReviewInline(Inline):
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


# The reviews recorded at meetings, shown on the action's own admin page as well.
admin.site.unregister(Action)


@admin.register(Action)
class ActionWithReviewsAdmin(ActionAdmin):
    inlines = [*ActionAdmin.inlines, ActionReviewOfActionInline]


# Meetings ------------------------------------------------------------------------------


class ParticipantInline(Inline):
    model = Participant
    autocomplete_fields = ["user", "contact"]
    extra = 0


class AgendaItemInline(Inline):
    model = AgendaItem
    fields = ["position", "title", "notes", "action", "convention", "programme", "follow_up"]
    autocomplete_fields = ["action", "convention", "programme", "follow_up"]
    extra = 0


class DecisionInline(Inline):
    model = Decision
    autocomplete_fields = ["agenda_item"]
    extra = 0


class FollowUpTaskInline(Inline):
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
        lifecycle_action(Meeting, "hold", lambda obj, user: meeting_hold(meeting=obj, user=user)),
        lifecycle_action(
            Meeting, "cancel", lambda obj, user: meeting_cancel(meeting=obj, user=user)
        ),
        lifecycle_action(
            Meeting,
            "approve_minutes",
            lambda obj, user: meeting_approve_minutes(meeting=obj, user=user),
        ),
        lifecycle_action(
            Meeting,
            "reopen",
            lambda obj, user, reason: meeting_reopen(meeting=obj, user=user, reason=reason),
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
