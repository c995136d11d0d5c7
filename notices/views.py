"""Placeholder: replaced by the work that owns this module."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


inbox = mark_read = _todo
