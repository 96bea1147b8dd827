"""The addresses of the agreements pages."""

from django.urls import path

from partnership.agreements.views import (
    AgreementCreate,
    AgreementDelete,
    AgreementDetail,
    AgreementList,
    AgreementTransition,
    AgreementUpdate,
    invitation_answer,
)

urlpatterns = [
    # views
    path("accords/", AgreementList.as_view(), name="agreement_list"),
    path("accords/nouveau/", AgreementCreate.as_view(), name="agreement_create"),
    path("accords/<int:pk>/", AgreementDetail.as_view(), name="agreement_detail"),
    path("accords/<int:pk>/modifier/", AgreementUpdate.as_view(), name="agreement_update"),
    path("accords/<int:pk>/supprimer/", AgreementDelete.as_view(), name="agreement_delete"),
    path(
        "accords/<int:pk>/statut/<slug:transition>/",
        AgreementTransition.as_view(),
        name="agreement_transition",
    ),
    path(
        "invitations/<int:pk>/accepter/",
        invitation_answer,
        {"answer": "accept"},
        name="invitation_accept",
    ),
    path(
        "invitations/<int:pk>/refuser/",
        invitation_answer,
        {"answer": "decline"},
        name="invitation_decline",
    ),
]
