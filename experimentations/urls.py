"""Staff pages of the experimentations."""

from django.urls import path

from experimentations import views

app_name = "experimentations"

urlpatterns = [
    path("", views.ExperimentationList.as_view(), name="experimentation_list"),
    path(
        "accord/<int:agreement_pk>/nouvelle/",
        views.ExperimentationCreate.as_view(),
        name="experimentation_create",
    ),
    path("<int:pk>/", views.ExperimentationDetail.as_view(), name="experimentation_detail"),
    path(
        "<int:pk>/modifier/",
        views.ExperimentationUpdate.as_view(),
        name="experimentation_update",
    ),
    path(
        "<int:pk>/supprimer/",
        views.ExperimentationDelete.as_view(),
        name="experimentation_delete",
    ),
    path(
        "<int:pk>/statut/<slug:transition>/",
        views.ExperimentationTransition.as_view(),
        name="experimentation_transition",
    ),
    path(
        "<int:experimentation_pk>/entreprises/nouvelle/",
        views.CompanyCreate.as_view(),
        name="company_create",
    ),
    path(
        "<int:experimentation_pk>/entreprises/importer/",
        views.CompanyImport.as_view(),
        name="company_import",
    ),
    path(
        "<int:pk>/decision/", views.ExperimentationDecide.as_view(), name="experimentation_decide"
    ),
    path("<int:pk>/evaluation/", views.EvaluationSummary.as_view(), name="evaluation_summary"),
    path(
        "<int:experimentation_pk>/mesures/nouvelle/",
        views.MeasurementCreate.as_view(),
        name="measurement_create",
    ),
    path(
        "mesures/<int:pk>/modifier/", views.MeasurementUpdate.as_view(), name="measurement_update"
    ),
    path(
        "mesures/<int:pk>/supprimer/", views.MeasurementDelete.as_view(), name="measurement_delete"
    ),
    path("entreprises/<int:pk>/modifier/", views.CompanyUpdate.as_view(), name="company_update"),
    path("entreprises/<int:pk>/supprimer/", views.CompanyDelete.as_view(), name="company_delete"),
]
