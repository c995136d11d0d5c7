"""The staff's form for a new campaign. The rules (dates, levels, filters) are checked again by
campaigns.services.campaign_create, whose messages the view shows on the same fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Topic
from campaigns.selectors import MAX_AGE, campaign_units
from people.models import SPECIAL_GROUPS

COUNT_FIELDS = ["unit", "starts_on", "min_age", "special_group"]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * obj.depth + obj.name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(forms.Form):
    unit = UnitChoiceField(
        label=_("Where"),
        queryset=None,
        empty_label=None,
        help_text=_("Every household living there is a target, unless you narrow it below."),
    )
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=100,
        error_messages={"required": _("Give the campaign a title.")},
    )
    description = forms.CharField(
        label=_("What to tell residents"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), widget=DateInput())
    min_age = forms.IntegerField(
        label=_("Only households with someone aged at least"),
        required=False,
        min_value=1,
        max_value=MAX_AGE,
        help_text=_("Age on the first day. Leave empty for all ages."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    special_group = forms.ChoiceField(
        label=_("Only households with someone who is"),
        choices=[("", _("anyone"))] + SPECIAL_GROUPS,
        required=False,
        help_text=_("With an age too, it must be the same person."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            campaign_units(user).only("pk", "name", "level", "path").order_by("path")
        )
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate())

    def target_filters(self) -> dict | None:
        """What the target count needs (unit, first day, filters), if those fields are valid."""
        data = getattr(self, "cleaned_data", {})
        if any(name in self.errors or name not in data for name in COUNT_FIELDS):
            return None
        return {
            "unit": data["unit"],
            "on": data["starts_on"],
            "min_age": data["min_age"],
            "special_group": data["special_group"],
        }

    def count_errors_only(self) -> None:
        """Asked only to count: the title and end date may still be empty, so say nothing of them."""
        for name in [name for name in self.errors if name not in COUNT_FIELDS]:
            del self.errors[name]
