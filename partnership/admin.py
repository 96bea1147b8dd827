"""The back office: each subject registers its own model admins (``<subject>/admin.py``);
this module, which Django's admin discovers, brings them together and says who enters."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from partnership.agreements import admin as agreements_admin
from partnership.core.admin import back_office_only
from partnership.directory import admin as directory_admin
from partnership.documents import admin as documents_admin
from partnership.meetings import admin as meetings_admin
from partnership.programmes import admin as programmes_admin

SUBJECTS = [directory_admin, agreements_admin, programmes_admin, meetings_admin, documents_admin]

admin.site.site_header = _("Partnership tracker – back office")
admin.site.site_title = _("Partnership tracker")
admin.site.index_title = _("Back office")
admin.site.has_permission = back_office_only
