"""Placeholder: replaced by the work that owns this module."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


queue = file_on_behalf = detail = act = photo = team_queue = _todo
