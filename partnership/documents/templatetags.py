"""The documents of a record's page: ``{% load documents %}{% document_upload_form record %}``."""

from django import template
from django.urls import reverse

from partnership.documents.forms import DocumentUploadForm
from partnership.documents.views import create_url_name, default_kind, parent_field_of

register = template.Library()


@register.inclusion_tag("partnership/documents/upload_form.html", takes_context=True)
def document_upload_form(context, record, allowed=None):
    """The "add a document" form, for people who may change the record.

    ``allowed`` may pass a permission the page has already computed (no second check).
    """
    user = context["request"].user
    if allowed is None:
        allowed = user.has_perm("partnership.add_document", record)
    if not allowed:
        return {"allowed": False}
    field = parent_field_of(record)
    return {
        "allowed": True,
        "action": reverse(create_url_name(field), kwargs={"parent_pk": record.pk}),
        "form": DocumentUploadForm(
            initial={"kind": default_kind(field)}, auto_id=f"id_document_{field}_%s"
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def document_upload_url(record):
    """The page to upload a document to the record (for lists of records, such as
    deliverables or amendments, where a form per row would be too much)."""
    return reverse(create_url_name(parent_field_of(record)), kwargs={"parent_pk": record.pk})
