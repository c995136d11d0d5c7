import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from figures.selectors import MAX_PERIOD_DAYS, period_preset

PERIODS = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_year", _("This year")),
    ("last_12_months", _("Last 12 months")),
    ("custom", _("Dates below")),
]


class FiguresForm(forms.Form):
    """The period of the figures: a preset, or from/to dates (inclusive). The unit is read by the view,
    which answers 404 for a unit outside the viewer's scope."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        period = data.get("period") or ("custom" if start or end else "this_month")
        data["period"] = period
        if period != "custom":
            data["start"], data["end"] = period_preset(period, self.today)
            return data
        if not start or not end:
            raise forms.ValidationError(_("Give both dates, or choose a period."))
        if end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("Choose at most %(days)d days at a time.") % {"days": MAX_PERIOD_DAYS}
            )
        return data

    def period_dates(self) -> tuple[datetime.date, datetime.date]:
        """The chosen dates, or this month when the form is not valid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return period_preset("this_month", self.today)
