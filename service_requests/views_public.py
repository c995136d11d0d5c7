"""Placeholder: replaced by the work that owns this module."""

from django.http import HttpResponse


def _todo(request, **kwargs):
    return HttpResponse("not built yet", status=501)


file_from_building = similar_open_requests = track = rate = public_photo = my_requests = _todo
