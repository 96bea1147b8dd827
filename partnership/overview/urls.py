"""The addresses of the pages that span subjects: search, reports, histories and restores."""

from django.urls import path

from conventions.models import Convention
from partnership.meetings.models import Meeting
from partnership.overview.report_views import (
    ActionListExport,
    MeetingMonthCalendar,
    ProgrammeReport,
    ProgrammeReportExport,
    ProgrammeTimeline,
    ProgrammingExport,
)
from partnership.overview.restore import (
    HISTORY_PAGES,
    DeletedRecordRestore,
    DeletedRecords,
    RecordHistory,
    RestoreVersion,
)
from partnership.overview.search_views import search_page
from partnership.programmes.models import Action

urlpatterns = [
    # search_views
    path("recherche/", search_page, name="search"),
    # report_views
    path("programmes/<int:pk>/frise/", ProgrammeTimeline.as_view(), name="programme_timeline"),
    path("programmes/<int:pk>/rapport/", ProgrammeReport.as_view(), name="programme_report"),
    path(
        "programmes/<int:pk>/rapport.csv",
        ProgrammeReportExport.as_view(extension="csv"),
        name="programme_report_csv",
    ),
    path(
        "programmes/<int:pk>/rapport.xlsx",
        ProgrammeReportExport.as_view(extension="xlsx"),
        name="programme_report_xlsx",
    ),
    path("actions/export.csv", ActionListExport.as_view(extension="csv"), name="action_export_csv"),
    path(
        "actions/export.xlsx", ActionListExport.as_view(extension="xlsx"), name="action_export_xlsx"
    ),
    path(
        "accords/<int:agreement_pk>/programmations/<int:year>/export.<slug:extension>",
        ProgrammingExport.as_view(),
        name="programming_export",
    ),
    path("rendez-vous/calendrier/", MeetingMonthCalendar.as_view(), name="meeting_month_calendar"),
    # restore
    *(
        path(
            f"{prefix}/<int:pk>/historique/",
            RecordHistory.as_view(model=model),
            name=f"{model._meta.model_name}_history",
        )
        for model, prefix in HISTORY_PAGES.items()
    ),
    path(
        "actions/versions/<int:pk>/restaurer/",
        RestoreVersion.as_view(model=Action),
        name="action_restore",
    ),
    path(
        "conventions/versions/<int:pk>/restaurer/",
        RestoreVersion.as_view(model=Convention),
        name="convention_restore",
    ),
    path(
        "rendez-vous/versions/<int:pk>/restaurer/",
        RestoreVersion.as_view(model=Meeting),
        name="meeting_minutes_restore",
    ),
    path("historique/supprimes/", DeletedRecords.as_view(), name="deleted_records"),
    path(
        "historique/supprimes/restaurer/",
        DeletedRecordRestore.as_view(),
        name="deleted_record_restore",
    ),
]
