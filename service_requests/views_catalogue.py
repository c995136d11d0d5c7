"""Placeholder: replaced by the work that owns this module."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


catalogue = kind_edit = kind_create = template_list = template_edit = template_create = _todo
