"""The addresses of the programmes pages."""

from django.urls import path

from partnership.programmes.views import (
    ActionCreate,
    ActionDelete,
    ActionDetail,
    ActionList,
    ActionTransition,
    ActionUpdate,
    DeliverableCreate,
    DeliverableDelete,
    DeliverableUpdate,
    ProgrammeApprove,
    ProgrammeCreate,
    ProgrammeDelete,
    ProgrammeDetail,
    ProgrammeList,
    ProgrammePrepareNextYear,
    ProgrammeTransition,
    ProgrammeUpdate,
)

urlpatterns = [
    # views
    # Programmes
    path("programmes/", ProgrammeList.as_view(), name="programme_list"),
    path(
        "accords/<int:agreement_pk>/programmes/nouveau/",
        ProgrammeCreate.as_view(),
        name="programme_create",
    ),
    path("programmes/<int:pk>/", ProgrammeDetail.as_view(), name="programme_detail"),
    path("programmes/<int:pk>/modifier/", ProgrammeUpdate.as_view(), name="programme_update"),
    path("programmes/<int:pk>/supprimer/", ProgrammeDelete.as_view(), name="programme_delete"),
    path(
        "programmes/<int:pk>/statut/<slug:transition>/",
        ProgrammeTransition.as_view(),
        name="programme_transition",
    ),
    path(
        "programmes/<int:pk>/annee-suivante/",
        ProgrammePrepareNextYear.as_view(),
        name="programme_next_year",
    ),
    path(
        "programmes/<int:pk>/approuver/",
        ProgrammeApprove.as_view(),
        name="programme_approve",
    ),
    # Joint actions
    path("actions/", ActionList.as_view(), name="action_list"),
    path(
        "programmes/<int:programme_pk>/actions/nouvelle/",
        ActionCreate.as_view(),
        name="action_create",
    ),
    path("actions/<int:pk>/", ActionDetail.as_view(), name="action_detail"),
    path("actions/<int:pk>/modifier/", ActionUpdate.as_view(), name="action_update"),
    path("actions/<int:pk>/supprimer/", ActionDelete.as_view(), name="action_delete"),
    path(
        "actions/<int:pk>/statut/<slug:transition>/",
        ActionTransition.as_view(),
        name="action_transition",
    ),
    # Deliverables
    path(
        "actions/<int:action_pk>/livrables/nouveau/",
        DeliverableCreate.as_view(),
        name="deliverable_create",
    ),
    path("livrables/<int:pk>/modifier/", DeliverableUpdate.as_view(), name="deliverable_update"),
    path("livrables/<int:pk>/supprimer/", DeliverableDelete.as_view(), name="deliverable_delete"),
]
