"""The figures page and its .xlsx export: thin views over figures.selectors.request_figures."""

import io

import openpyxl
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl.styles import Font

from accounts.scope import replica_reads_scoped
from figures import selectors
from figures.forms import FiguresForm
from people.roster import neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _figures_for(request):
    """Parse the form and fetch the figures; 404 for viewers without the page or a unit out of scope."""
    user = request.user
    if not selectors.figures_allowed(user):
        raise Http404
    form = FiguresForm(request.GET or None, today=timezone.localdate())
    start, end = form.period_dates()
    units = selectors.figures_units(user)
    if request.GET.get("unit"):
        unit = selectors.figures_unit_get(user, request.GET["unit"])
    else:
        unit = selectors.figures_unit_default(units)
    if unit is None:
        raise Http404
    return form, units, selectors.request_figures(user, unit, start, end)


def _chart_data(figures) -> dict:
    return {
        "days": [day.isoformat() for day, _count in figures.per_day],
        "filed": [count for _day, count in figures.per_day],
        "kinds": [{"name": k.name, "value": k.filed} for k in figures.by_kind if k.filed],
        "labels": {"filed": _("Requests filed"), "per_day": _("Requests per day"), "by_kind": _("By kind")},
    }


# Both pages only read, and a few seconds' lag does not change a month's figures: they may read from a
# replica (login_required has loaded the session and the user from the primary before, and the decorator
# the viewer's appointments).
@login_required
@require_GET
@replica_reads_scoped
def figures_page(request):
    form, units, figures = _figures_for(request)
    query = request.GET.copy()
    query["unit"] = figures.unit.pk
    if units and figures.unit.pk not in {u.pk for u in units}:
        figures.unit.indent = ""
        units = [figures.unit, *units]
    context = {
        "form": form,
        "units": units,
        "figures": figures,
        "unit_label": selectors.unit_label(figures.unit),
        "chart_data": _chart_data(figures),
        "export_query": query.urlencode(),
    }
    return render(request, "figures/page.html", context)


def _rate(value):
    return "—" if value is None else value / 100


def _hours(value):
    return "—" if value is None else round(value, 1)


def figures_workbook(figures, unit_label: str) -> bytes:
    """Summary, by kind and by channel, every text cell neutralised against formula injection."""
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    rows = [
        (_("Territory"), unit_label),
        (_("From"), figures.start.isoformat()),
        (_("To"), figures.end.isoformat()),
        (_("Requests filed"), figures.filed),
        (_("Response rate"), _rate(figures.response_rate)),
        (_("Answered in time"), figures.responded_in_time),
        (_("Resolution rate"), _rate(figures.resolution_rate)),
        (_("Resolved in time"), figures.resolved_in_time),
        (_("Satisfaction rate"), _rate(figures.satisfaction_rate)),
        (_("Rated"), figures.rated),
        (_("Rated 4 or 5"), figures.rated_good),
        (_("Median hours to respond"), _hours(figures.median_response_hours)),
        (_("Median hours to resolve"), _hours(figures.median_resolution_hours)),
        (_("Overdue now"), figures.overdue_now),
        (_("Problems found"), figures.problems_found),
        (_("Requests handled"), figures.handled),
        (_("Disputes settled"), figures.disputes_settled),
        (_("Hazards removed"), figures.hazards_removed),
        (_("Micro-services given"), figures.micro_services),
    ]
    rates = {_("Response rate"), _("Resolution rate"), _("Satisfaction rate")}
    for label, value in rows:
        summary.append([neutralise(label), neutralise(value) if isinstance(value, str) else value])
        if isinstance(value, float) and label in rates:
            summary.cell(row=summary.max_row, column=2).number_format = "0.0%"
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 24
    sheets = [
        (
            _("By kind"),
            [_("Kind"), _("Street report category"), _("Filed"), _("Handled")],
            [(k.name, str(k.category_label), k.filed, k.handled) for k in figures.by_kind],
        ),
        (
            _("By channel"),
            [_("Channel"), _("Filed")],
            [(str(c.label), c.filed) for c in figures.by_channel],
        ),
        (_("By day"), [_("Day"), _("Filed")], [(d.isoformat(), n) for d, n in figures.per_day]),
    ]
    for title, header, body in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([neutralise(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in body:
            sheet.append([neutralise(v) if isinstance(v, str) else v for v in values])
        sheet.column_dimensions["A"].width = 24
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@login_required
@require_GET
@replica_reads_scoped
def figures_export(request):
    _form, _units, figures = _figures_for(request)
    content = figures_workbook(figures, selectors.unit_label(figures.unit))
    response = HttpResponse(content, content_type=XLSX)
    filename = f"figures-{figures.unit.pk}-{figures.start:%Y%m%d}-{figures.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
