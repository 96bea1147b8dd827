"""Staff pages of the ad hoc conventions and their amendments."""

from django.urls import path

from conventions import views

app_name = "conventions"

urlpatterns = [
    path("", views.ConventionList.as_view(), name="convention_list"),
    path("nouvelle/", views.convention_create_start, name="convention_create_start"),
    path(
        "accord/<int:agreement_pk>/nouvelle/",
        views.ConventionCreate.as_view(),
        name="convention_create",
    ),
    path("<int:pk>/", views.ConventionDetail.as_view(), name="convention_detail"),
    path("<int:pk>/modifier/", views.ConventionUpdate.as_view(), name="convention_update"),
    path("<int:pk>/supprimer/", views.ConventionDelete.as_view(), name="convention_delete"),
    path(
        "<int:pk>/statut/<slug:transition>/",
        views.ConventionTransition.as_view(),
        name="convention_transition",
    ),
    path(
        "<int:convention_pk>/avenants/nouveau/",
        views.AmendmentCreate.as_view(),
        name="amendment_create",
    ),
    path("avenants/<int:pk>/modifier/", views.AmendmentUpdate.as_view(), name="amendment_update"),
    path("avenants/<int:pk>/supprimer/", views.AmendmentDelete.as_view(), name="amendment_delete"),
]
