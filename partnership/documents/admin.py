"""The back office of documents, and the documents inline of the records they belong to."""

from django import forms
from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from partnership.core.admin import (
    HistoryAdmin,
    Inline,
)
from partnership.core.forms import OneLineMixin
from partnership.documents.forms import CurrentFileWidget, UploadMixin
from partnership.documents.models import Document


class DocumentForm(OneLineMixin, UploadMixin, forms.ModelForm):
    """The admin's document form: the file checked by partnership.documents.files, its metadata
    recorded; the current file links to the download view. A new file keeps the old one in
    the document's history."""

    class Meta:
        model = Document
        fields = [
            "title",
            "kind",
            "file",
            "uploaded_at",
            "agreement",
            "convention",
            "amendment",
            "meeting",
            "deliverable",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.file:
            self.fields["file"].widget = CurrentFileWidget(self.instance)


# Shared inlines ------------------------------------------------------------------------


class DocumentInline(Inline):
    """Documents attached to the record of the page (agreement, convention, meeting...)."""

    model = Document
    form = DocumentForm
    fields = ["title", "kind", "file", "original_name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["original_name", "size", "uploaded_by", "uploaded_at"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


# Documents -----------------------------------------------------------------------------


@admin.register(Document)
class DocumentAdmin(HistoryAdmin):
    form = DocumentForm
    list_display = [
        "title",
        "kind",
        "attached",
        "original_name",
        "file_size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_select_related = [
        "agreement",
        "convention",
        "amendment__convention",
        "meeting",
        "deliverable",
        "uploaded_by",
    ]
    list_filter = ["kind"]
    search_fields = ["title", "original_name"]
    date_hierarchy = "uploaded_at"
    autocomplete_fields = ["agreement", "convention", "amendment", "meeting", "deliverable"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "kind",
                    "file",
                    "original_name",
                    "content_type",
                    "size",
                    "uploaded_by",
                    "uploaded_at",
                ]
            },
        ),
        (
            _("Attached to (exactly one)"),
            {"fields": ["agreement", "convention", "amendment", "meeting", "deliverable"]},
        ),
    ]

    @admin.display(description=_("attached to"))
    def attached(self, obj):
        if obj.amendment_id:
            return f"{obj.amendment.convention} – {obj.amendment}"
        return obj.attached_to

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, obj):
        return filesizeformat(obj.size)
