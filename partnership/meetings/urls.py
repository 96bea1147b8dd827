"""The addresses of the meetings pages."""

from django.urls import path

from partnership.meetings.calendar_views import calendar_feed, calendar_feed_settings
from partnership.meetings.views import (
    AgendaItemCreate,
    AgendaItemDown,
    AgendaItemRemove,
    AgendaItemUp,
    DecisionList,
    FollowUpTaskDone,
    FollowUpTaskUpdate,
    MeetingCalendar,
    MeetingCreate,
    MeetingCreateChoose,
    MeetingDelete,
    MeetingDetail,
    MeetingList,
    MeetingMinutesPdf,
    MeetingMinutesPrint,
    MeetingOutcomes,
    MeetingPrepareAgenda,
    MeetingReview,
    MeetingTransition,
    MeetingUpdate,
)

urlpatterns = [
    # views
    path("rendez-vous/", MeetingList.as_view(), name="meeting_list"),
    path("rendez-vous/nouveau/", MeetingCreateChoose.as_view(), name="meeting_create_choose"),
    path(
        "accords/<int:agreement_pk>/rendez-vous/nouveau/",
        MeetingCreate.as_view(),
        name="meeting_create",
    ),
    path("rendez-vous/<int:pk>/", MeetingDetail.as_view(), name="meeting_detail"),
    path("rendez-vous/<int:pk>/modifier/", MeetingUpdate.as_view(), name="meeting_update"),
    path(
        "rendez-vous/<int:pk>/decisions-et-suites/",
        MeetingOutcomes.as_view(),
        name="meeting_outcomes",
    ),
    path("rendez-vous/<int:pk>/supprimer/", MeetingDelete.as_view(), name="meeting_delete"),
    path(
        "rendez-vous/<int:pk>/statut/<slug:transition>/",
        MeetingTransition.as_view(),
        name="meeting_transition",
    ),
    path("rendez-vous/<int:pk>/revue/", MeetingReview.as_view(), name="meeting_review"),
    path(
        "rendez-vous/<int:pk>/ordre-du-jour/preparer/",
        MeetingPrepareAgenda.as_view(),
        name="meeting_prepare_agenda",
    ),
    path(
        "rendez-vous/<int:pk>/ordre-du-jour/ajouter/",
        AgendaItemCreate.as_view(),
        name="agendaitem_create",
    ),
    path(
        "rendez-vous/ordre-du-jour/<int:pk>/monter/", AgendaItemUp.as_view(), name="agendaitem_up"
    ),
    path(
        "rendez-vous/ordre-du-jour/<int:pk>/descendre/",
        AgendaItemDown.as_view(),
        name="agendaitem_down",
    ),
    path(
        "rendez-vous/ordre-du-jour/<int:pk>/retirer/",
        AgendaItemRemove.as_view(),
        name="agendaitem_remove",
    ),
    path("rendez-vous/decisions/", DecisionList.as_view(), name="decision_list"),
    path(
        "rendez-vous/<int:pk>/compte-rendu/",
        MeetingMinutesPrint.as_view(),
        name="meeting_minutes_print",
    ),
    path(
        "rendez-vous/<int:pk>/compte-rendu.pdf",
        MeetingMinutesPdf.as_view(),
        name="meeting_minutes_pdf",
    ),
    path("rendez-vous/<int:pk>/calendrier.ics", MeetingCalendar.as_view(), name="meeting_calendar"),
    path(
        "rendez-vous/taches/<int:pk>/modifier/",
        FollowUpTaskUpdate.as_view(),
        name="followuptask_update",
    ),
    path(
        "rendez-vous/taches/<int:pk>/terminer/",
        FollowUpTaskDone.as_view(),
        name="followuptask_done",
    ),
    # calendar_views
    path("calendrier/", calendar_feed_settings, name="calendar_feed_settings"),
    path("calendrier/<slug:token>.ics", calendar_feed, name="calendar_feed"),
]
