"""Forms for the address register: estates, buildings, entrances. They parse; the services decide."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from territory.models import Estate, TerritoryUnit


class EstateForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=TerritoryUnit.objects.none())
    name = forms.CharField(label=pgettext_lazy("place", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Estate.Kind.choices, initial=Estate.Kind.ESTATE)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities.order_by("path")
        if len(self.fields["community"].queryset) == 1:
            self.fields["community"].initial = self.fields["community"].queryset[0].pk
            self.fields["community"].empty_label = None


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("Building name"), max_length=50, help_text=_("e.g. Building 3"))
    entrances = forms.CharField(
        label=_("Entrances"),
        max_length=500,
        required=False,
        help_text=_(
            "Names separated by commas, e.g. Entrance 1, Entrance 2. Leave blank for a single entrance."
        ),
    )

    def clean_entrances(self):
        names = [n.strip() for n in re.split(r"[,，、;；]", self.cleaned_data["entrances"]) if n.strip()]
        too_long = [n for n in names if len(n) > 50]
        if too_long:
            raise forms.ValidationError(_("An entrance name has at most 50 characters."))
        return names


class EntranceForm(forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=None)
    name = forms.CharField(
        label=_("Entrance name"), max_length=50, required=False, help_text=_("e.g. Entrance 2")
    )

    def __init__(self, *args, estate: Estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = estate.buildings.order_by("name")
        self.fields["building"].label_from_instance = lambda building: building.name
