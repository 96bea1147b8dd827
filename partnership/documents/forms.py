"""Uploading a document to a record, and replacing its file by a new version."""

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnership.core.forms import NoMarkupMixin, OneLineMixin
from partnership.documents.files import (
    allowed_extensions_text,
    record_upload,
    validate_upload,
)
from partnership.documents.models import Document

ACCEPT = ",".join(
    [
        ".pdf",
        ".odt",
        ".ods",
        ".docx",
        ".xlsx",
        ".png",
        ".jpg",
        ".jpeg",
    ]
)


class UploadMixin:
    """The ``file`` field checked by content, size and name; the document records what it is."""

    def _setup_file_field(self):
        field = self.fields["file"]
        # A plain file input: the clearable one would link to the file's storage URL.
        field.widget = forms.FileInput(attrs={"accept": ACCEPT})
        field.help_text = _("Accepted: %(types)s; %(limit)s at most.") % {
            "types": allowed_extensions_text(),
            "limit": _max_size_text(),
        }

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and "file" in self.changed_data:
            self.checked_upload = validate_upload(upload)
        return upload

    def save(self, commit=True):
        checked = getattr(self, "checked_upload", None)
        if checked is not None:
            record_upload(self.instance, checked)
        return super().save(commit=commit)


def _max_size_text():
    return filesizeformat(settings.DOCUMENT_MAX_SIZE)


class DocumentUploadForm(OneLineMixin, UploadMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "kind", "file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_file_field()


class DocumentReplaceForm(OneLineMixin, UploadMixin, forms.ModelForm):
    """A new version of the file; the previous one stays in the document's history."""

    class Meta:
        model = Document
        fields = ["file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_file_field()
        self.fields["file"].label = _("new version of the file")
        # A replacement needs a new file: the current one does not count.
        self.initial.pop("file", None)
        self.instance_file = self.instance.file

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload or upload == self.instance_file or "file" not in self.changed_data:
            raise forms.ValidationError(
                forms.Field.default_error_messages["required"], code="required"
            )
        return super().clean_file()


class _CurrentFile:
    """What the admin's file widget shows of the current file: its original name, linked to
    the download view (the storage's own URL is never served)."""

    def __init__(self, document):
        self.url = reverse("document_download", args=[document.pk])
        self.name = document.original_name or document.title

    def __str__(self):
        return self.name


class CurrentFileWidget(AdminFileWidget):
    def __init__(self, document, attrs=None):
        super().__init__(attrs)
        self.document = document

    def format_value(self, value):
        if self.is_initial(value):
            return _CurrentFile(self.document)
        return super().format_value(value)
