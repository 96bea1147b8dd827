"""The shared directories: organisations and contacts, seen by every staff member."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from partnership.core import crud
from partnership.directory.filters import ContactFilter, OrganisationFilter
from partnership.directory.forms import ContactForm, OrganisationForm
from partnership.directory.models import Contact, Organisation


class OrganisationMixin:
    model = Organisation

    def base_queryset(self):
        return Organisation.objects.select_related("parent")


class OrganisationList(OrganisationMixin, crud.StaffListView):
    filterset_class = OrganisationFilter

    def base_queryset(self):
        return super().base_queryset().annotate(staff_count=Count("staff"))


class OrganisationDetail(OrganisationMixin, crud.StaffDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        context.update(
            members=organisation.members.order_by("name"),
            contacts=organisation.contacts.order_by("last_name", "first_name"),
            agreement_parties=organisation.agreement_parties.select_related("agreement").visible_to(
                self.request.user
            ),
        )
        return context


class OrganisationFormMixin:
    form_class = OrganisationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class OrganisationCreate(OrganisationMixin, OrganisationFormMixin, crud.StaffCreateView):
    success_message = _("The organisation “%(object)s” was created.")


class OrganisationUpdate(OrganisationMixin, OrganisationFormMixin, crud.StaffUpdateView):
    success_message = _("The organisation “%(object)s” was saved.")


class OrganisationDelete(OrganisationMixin, crud.StaffDeleteView):
    success_url_name = "organisation_list"
    protected_message = _(
        "This organisation cannot be deleted: it is party to agreements or has staff, "
        "contacts or actions."
    )


class ContactMixin:
    model = Contact

    def base_queryset(self):
        return Contact.objects.select_related("organisation")


class ContactList(ContactMixin, crud.StaffListView):
    filterset_class = ContactFilter


class ContactDetail(ContactMixin, crud.StaffDetailView):
    pass


class ContactCreate(ContactMixin, crud.StaffCreateView):
    form_class = ContactForm
    success_message = _("The contact “%(object)s” was created.")


class ContactUpdate(ContactMixin, crud.StaffUpdateView):
    form_class = ContactForm
    success_message = _("The contact “%(object)s” was saved.")


class ContactDelete(ContactMixin, crud.StaffDeleteView):
    success_url_name = "contact_list"
    protected_message = _("This contact cannot be deleted: meetings or actions refer to them.")
