"""The addresses of the documents pages."""

from django.urls import path

from partnership.documents.views import (
    PARENTS,
    DocumentCreate,
    DocumentDelete,
    DocumentDetail,
    DocumentReplace,
    create_url_name,
    download,
    version_download,
)

urlpatterns = [
    # views
    path("documents/<int:pk>/", DocumentDetail.as_view(), name="document_detail"),
    path("documents/<int:pk>/telecharger/", download, name="document_download"),
    path("documents/<int:pk>/remplacer/", DocumentReplace.as_view(), name="document_replace"),
    path("documents/<int:pk>/supprimer/", DocumentDelete.as_view(), name="document_delete"),
    path(
        "documents/versions/<int:pk>/telecharger/",
        version_download,
        name="document_version_download",
    ),
    *(
        path(
            f"documents/ajouter/{segment}/<int:parent_pk>/",
            DocumentCreate.as_view(parent_field=field),
            name=create_url_name(field),
        )
        for field, (_model, segment, _kind) in PARENTS.items()
    ),
]
