"""Placeholder: replaced by the work that owns this module."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


figures_page = figures_export = _todo
