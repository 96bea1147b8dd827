"""The addresses of the directory pages."""

from django.urls import path

from partnership.directory.sso_views import access_request_detail, access_request_list
from partnership.directory.views import (
    ContactCreate,
    ContactDelete,
    ContactDetail,
    ContactList,
    ContactUpdate,
    OrganisationCreate,
    OrganisationDelete,
    OrganisationDetail,
    OrganisationList,
    OrganisationUpdate,
)

urlpatterns = [
    # views
    path("organismes/", OrganisationList.as_view(), name="organisation_list"),
    path("organismes/nouveau/", OrganisationCreate.as_view(), name="organisation_create"),
    path("organismes/<int:pk>/", OrganisationDetail.as_view(), name="organisation_detail"),
    path("organismes/<int:pk>/modifier/", OrganisationUpdate.as_view(), name="organisation_update"),
    path(
        "organismes/<int:pk>/supprimer/", OrganisationDelete.as_view(), name="organisation_delete"
    ),
    path("demandes-d-acces/", access_request_list, name="access_request_list"),
    path("demandes-d-acces/<int:pk>/", access_request_detail, name="access_request_detail"),
    path("contacts/", ContactList.as_view(), name="contact_list"),
    path("contacts/nouveau/", ContactCreate.as_view(), name="contact_create"),
    path("contacts/<int:pk>/", ContactDetail.as_view(), name="contact_detail"),
    path("contacts/<int:pk>/modifier/", ContactUpdate.as_view(), name="contact_update"),
    path("contacts/<int:pk>/supprimer/", ContactDelete.as_view(), name="contact_delete"),
]
