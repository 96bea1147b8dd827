"""The addresses of each party's programming."""

from django.urls import path

from partnership.programming.views import (
    ProgrammingOpen,
    ProgrammingView,
    ProjectCoordinate,
    ProjectCreate,
    ProjectDelete,
    ProjectDetail,
    ProjectUpdate,
    ProposeJointAction,
)

urlpatterns = [
    path(
        "accords/<int:agreement_pk>/programmations/<int:year>/",
        ProgrammingView.as_view(),
        name="programming",
    ),
    path(
        "accords/<int:agreement_pk>/programmations/<int:year>/ouvrir/",
        ProgrammingOpen.as_view(),
        name="programming_open",
    ),
    path(
        "accords/<int:agreement_pk>/programmations/<int:year>/nouveau/",
        ProjectCreate.as_view(),
        name="plannedproject_create",
    ),
    path(
        "accords/<int:agreement_pk>/programmations/<int:year>/action-commune/",
        ProposeJointAction.as_view(),
        name="programming_propose",
    ),
    path("projets/<int:pk>/", ProjectDetail.as_view(), name="plannedproject_detail"),
    path("projets/<int:pk>/modifier/", ProjectUpdate.as_view(), name="plannedproject_update"),
    path("projets/<int:pk>/supprimer/", ProjectDelete.as_view(), name="plannedproject_delete"),
    path(
        "projets/<int:pk>/coordination/",
        ProjectCoordinate.as_view(),
        name="plannedproject_coordinate",
    ),
]
