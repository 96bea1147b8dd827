import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnership.core.filters import ALL_FEMININE, FilterSet
from partnership.directory.models import Contact, Organisation
from partnership.directory.regions import Region


class OrganisationFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Organisation.Kind.choices)
    region = django_filters.ChoiceFilter(
        label=_("region"), empty_label=ALL_FEMININE, choices=Region.choices
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("name", "name"), ("acronym", "acronym"), ("region", "region")),
        field_labels={"name": _("name"), "acronym": _("acronym"), "region": _("region")},
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "region"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(acronym__icontains=value))


class ContactFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    organisation = django_filters.ModelChoiceFilter(
        label=_("organisation"), queryset=Organisation.objects.all()
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("last_name", "last_name"), ("organisation__name", "organisation")),
        field_labels={"last_name": _("name"), "organisation__name": _("organisation")},
    )

    class Meta:
        model = Contact
        fields = ["q", "organisation"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(last_name__icontains=value)
            | Q(first_name__icontains=value)
            | Q(email__icontains=value)
        )
