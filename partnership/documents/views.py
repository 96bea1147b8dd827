"""Documents attached to records: upload, a page with the versions, replace, delete, download.

Files are never reachable through a media URL: every download goes through ``download``
(or ``version_download`` for an earlier version), which fetches the document through the
person's scope (a document of a record they may not see is a 404), and answers with the
stored type, as an attachment under its original name, never cached nor sniffed.

Who may change a record adds, replaces and deletes its documents (partnership.rules).
Replacing a document stores the new file under a new name and keeps the old file: the
document's history still points to it, so every earlier version can be downloaded.
Deleting a document removes the record but keeps its file, so that an administrator can
restore it from the history; files are never deleted by the application.
"""

import logging

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from partnership.core import concurrency, crud
from partnership.core.security import client_ip
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.documents.forms import DocumentReplaceForm, DocumentUploadForm
from partnership.documents.models import Document

logger = logging.getLogger("partnership.security")

# The records documents are attached to: the field on Document (whose foreign key names the
# record's model), the URL segment of the upload page, and the kind of document offered first.
PARENTS = {
    field: (Document._meta.get_field(field).related_model, segment, kind)
    for field, segment, kind in [
        ("agreement", "accord", Document.Kind.SIGNED_TEXT),
        ("convention", "convention", Document.Kind.SIGNED_TEXT),
        ("amendment", "avenant", Document.Kind.SIGNED_TEXT),
        ("meeting", "reunion", Document.Kind.MINUTES),
        ("deliverable", "livrable", Document.Kind.DELIVERABLE),
    ]
}


def parent_field_of(record) -> str:
    """The Document field that points to records of this kind."""
    for field, (model, _segment, _kind) in PARENTS.items():
        if isinstance(record, model):
            return field
    raise ValueError(f"Documents cannot be attached to {record._meta.label}")


def create_url_name(field: str) -> str:
    return f"document_create_{field}"


def default_kind(field: str) -> str:
    return PARENTS[field][2]


class DocumentMixin:
    model = Document

    def base_queryset(self):
        return Document.objects.select_related(
            "agreement",
            "convention__agreement",
            "amendment__convention__agreement",
            "meeting__agreement",
            "deliverable__action__programme__agreement",
            "uploaded_by",
        ).prefetch_related("deliverable__action__partners")


class DocumentCreate(crud.ParentMixin, crud.StaffCreateView):
    """Upload a document to a record (an agreement, a convention, an amendment...)."""

    model = Document
    form_class = DocumentUploadForm
    template_name = "partnership/documents/document_form.html"
    parent_permission = "partnership.add_document"
    parent_field = None

    def dispatch(self, request, *args, **kwargs):
        self.parent_model = PARENTS[self.parent_field][0]
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"kind": default_kind(self.parent_field)}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # Attached before validation: the model's own checks need to know to what.
        kwargs["instance"] = Document(
            **{self.parent_field: self.parent}, uploaded_by=self.request.user
        )
        return kwargs

    def get_success_url(self):
        return self.parent.get_absolute_url()

    def get_success_message(self):
        return _("The document “%(object)s” was added.")

    def form_valid(self, form):
        self.success_message = self.get_success_message()
        return super().form_valid(form)

    def after_save(self, form, formsets):
        super().after_save(form, formsets)
        record = self.object.attached_to
        if self.parent_field == "amendment":
            record = record.convention  # an amendment's followers are its convention's
        notify(Event.DOCUMENT_ADDED, record, self.request.user)


class DocumentDetail(DocumentMixin, crud.StaffDetailView):
    template_name = "partnership/documents/document_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        document = self.object
        versions = []
        seen = set()
        for record in document.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        ):
            if record.file and record.file not in seen:
                seen.add(record.file)
                versions.append(record)
        context.update(
            versions=versions,
            earlier_versions=[v for v in versions if v.file != document.file.name],
            attached_to=document.attached_to,
            can_change=self.request.user.has_perm("partnership.change_document", document),
            can_delete=self.request.user.has_perm("partnership.delete_document", document),
            replace_form=self.replace_form(document),
        )
        return context

    @staticmethod
    def replace_form(document):
        form = DocumentReplaceForm(instance=document)
        concurrency.add_version_field(form)  # as the replace page's own form carries it
        return form


class DocumentReplace(DocumentMixin, crud.StaffUpdateView):
    """A new version of the file; the previous one stays in the history, on the storage."""

    form_class = DocumentReplaceForm
    template_name = "partnership/documents/document_replace.html"
    success_message = _("A new version of “%(object)s” was uploaded.")

    def get_success_url(self):
        return self.object.get_absolute_url()


class DocumentDelete(DocumentMixin, crud.StaffDeleteView):
    """The record goes, the file stays: an administrator can restore it from the history."""

    def get_success_url(self):
        return self.success_url_target

    def form_valid(self, form):
        self.success_url_target = self.object.attached_to.get_absolute_url()
        return super().form_valid(form)


def file_response(request, *, document_id, name, content_type, stored_name, version=None):
    """Stream a stored file as an attachment, never cached, never sniffed."""
    storage = Document._meta.get_field("file").storage
    try:
        handle = storage.open(stored_name, "rb")
    except (FileNotFoundError, OSError):
        logger.error("document file missing document=%s version=%s", document_id, version)
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name or "document",
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    logger.info(
        "document downloaded document=%s version=%s user=%s ip=%s",
        document_id,
        version or "current",
        request.user.get_username(),
        client_ip(request),
    )
    return response


@require_GET
def download(request, pk):
    document = get_object_or_404(Document.objects.all().visible_to(request.user), pk=pk)
    crud.check_permission(request.user, "partnership.view_document", document)
    return file_response(
        request,
        document_id=document.pk,
        name=document.original_name,
        content_type=document.content_type,
        stored_name=document.file.name,
    )


@require_GET
def version_download(request, pk):
    """An earlier version, from the history of a document the person may see today."""
    version = get_object_or_404(Document.history.model.objects.all(), history_id=pk)
    document = get_object_or_404(Document.objects.all().visible_to(request.user), pk=version.id)
    crud.check_permission(request.user, "partnership.view_document", document)
    if not version.file:
        raise Http404
    return file_response(
        request,
        document_id=document.pk,
        name=version.original_name,
        content_type=version.content_type,
        stored_name=str(version.file),
        version=version.history_id,
    )
