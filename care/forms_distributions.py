"""Forms for distributions: opening one (staff) and recording a delivery (leaders, on a phone)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care.models import Delivery, Distribution


class DistributionForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    title = forms.CharField(
        label=_("Title"),
        max_length=Distribution._meta.get_field("title").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Winter care 2026")}),
    )
    items = forms.CharField(
        label=_("What is given"),
        max_length=Distribution._meta.get_field("items").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. rice 10 kg, oil 5 L, vegetables")}),
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate())


class DeliveryForm(forms.Form):
    """What was given, when, and a note. The household and the receiver are chosen on the page (their
    choices depend on the viewer's patch) and checked by the view and the service."""

    items = forms.CharField(
        label=_("What was given"), max_length=Delivery._meta.get_field("items").max_length
    )
    delivered_at = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=Delivery._meta.get_field("note").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @staticmethod
    def initial_for(distribution: Distribution) -> dict:
        return {
            "items": distribution.items,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0),
        }
