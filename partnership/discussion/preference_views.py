"""The page where a person chooses how they hear of each kind of event (their own only)."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnership.core.forms import OneLineMixin
from partnership.discussion.models import Event
from partnership.discussion.preferences import (
    Channel,
    DeliveryPreference,
    default_channel,
    save_preferences,
)


class PreferencesForm(OneLineMixin, forms.Form):
    """One choice of channel per kind of event."""

    def __init__(self, *args, initial_channels, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Event.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=Channel.choices,
                initial=initial_channels[kind],
                widget=forms.RadioSelect,
            )

    def rows(self):
        """For the table: each kind, its default, and each channel's radio button."""
        for kind, label in Event.choices:
            bound = self[kind]
            value = bound.value()
            yield {
                "kind": kind,
                "label": label,
                "default": Channel(default_channel(kind)).label,
                "errors": bound.errors,
                "choices": [
                    {
                        "value": channel,
                        "label": channel_label,
                        "id": f"id_{kind}_{channel}",
                        "checked": value == channel,
                    }
                    for channel, channel_label in Channel.choices
                ],
            }


def notification_preferences(request):
    form = PreferencesForm(
        request.POST or None,
        initial_channels=DeliveryPreference.objects.of(request.user),
    )
    if request.method == "POST" and form.is_valid():
        save_preferences(user=request.user, channels=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return HttpResponseRedirect(reverse("notification_preferences"))
    return render(
        request,
        "discussion/notification_preferences.html",
        {"form": form, "channels": Channel.choices},
    )
