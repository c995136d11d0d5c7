"""Roster import (upload → preview → confirm) and export pages.

Between the steps the uploaded bytes wait in the default file storage (people.pending_imports: the disk
on one machine, a shared bucket for several); only the uploader may go on with them, and they are
deleted on confirm (the error workbook of rejected rows stays until it goes stale, so nothing rejected
is lost).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import replica_reads_scoped, scope_for, staff_scope
from audit.models import AccessAction
from audit.services import access_log_record
from people import pending_imports, roster
from people.forms_roster import RosterUploadForm
from territory.models import TerritoryUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_REJECTIONS = 200


def _pending_load(request, token: str):
    """The waiting upload's sidecar and community; 404 unless the viewer uploaded it and may still
    manage that community."""
    meta = pending_imports.pending_import_meta(token)
    if meta is None:
        raise Http404
    scope = scope_for(request.user)
    if meta.get("uploader") != request.user.pk or not scope.can_manage_community(meta.get("community")):
        raise Http404
    communities = TerritoryUnit.objects.visible_to(request.user).communities()
    community = get_object_or_404(communities, pk=meta["community"])
    return meta, community


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    staff_scope(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        pending_imports.pending_imports_sweep()
        token = pending_imports.pending_import_save(
            uploader_id=request.user.pk,
            community_id=form.cleaned_data["community"].pk,
            name=form.cleaned_data["file"].name or "",
            content=form.content,
        )
        return redirect("people:roster_import_preview", token=token)
    return render(
        request,
        "people/roster_import.html",
        {"form": form, "columns": roster.COLUMNS, "required": roster.REQUIRED_COLUMNS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_preview(request, token):
    staff_scope(request)
    meta, community = _pending_load(request, token)
    content = pending_imports.pending_import_read(token, pending_imports.UPLOAD)
    if content is None:
        raise Http404
    context = {"token": token, "community": community, "file_name": meta.get("name", "")}
    try:
        if request.method == "POST":
            summary = roster.roster_import(
                actor=request.user,
                community=community,
                data=content,
                source_name=meta.get("name", ""),
                request=request,
            )
        else:
            summary = roster.roster_import(
                actor=request.user, community=community, data=content, dry_run=True
            )
    except roster.RosterFileError as exc:
        messages.error(request, str(exc))
        return redirect("people:roster_import")
    except IntegrityError:
        messages.error(request, _("Someone changed the registry at the same time. Please confirm again."))
        return redirect("people:roster_import_preview", token=token)
    if request.method == "POST":
        if summary.rejected:
            pending_imports.pending_import_keep_errors(token, roster.roster_error_workbook(summary))
        else:
            pending_imports.pending_import_delete(token)
    context.update(
        summary=summary,
        done=request.method == "POST",
        rejected_rows=summary.rejected_rows[:SHOWN_REJECTIONS],
        more_rejected=max(0, summary.rejected - SHOWN_REJECTIONS),
        to_write=summary.created + summary.updated,
    )
    return render(request, "people/roster_preview.html", context)


@login_required
@require_GET
def roster_import_errors(request, token):
    staff_scope(request)
    meta, community = _pending_load(request, token)
    content = pending_imports.pending_import_read(token, pending_imports.ERRORS)
    if content is None:
        upload = pending_imports.pending_import_read(token, pending_imports.UPLOAD)
        if upload is None:
            raise Http404
        try:
            summary = roster.roster_import(actor=request.user, community=community, data=upload, dry_run=True)
        except roster.RosterFileError as exc:
            raise Http404 from exc
        content = roster.roster_error_workbook(summary)
    # The rejected rows hold ID numbers and phones as typed: downloading them is an export.
    access_log_record(
        actor=request.user,
        action=AccessAction.EXPORT,
        detail={"kind": "rejected rows", "upload": meta.get("name", "")},
        request=request,
    )
    return _xlsx_response(content, "roster-errors.xlsx")


@login_required
@require_GET
@replica_reads_scoped
def roster_export(request):
    """Every resident the viewer may see; masked unless they may reveal ID numbers (or ask ?masked=1)."""
    content, _count = roster.roster_export(
        actor=request.user, masked=request.GET.get("masked") == "1", request=request
    )
    return _xlsx_response(content, f"roster-{timezone.localdate():%Y%m%d}.xlsx")


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
