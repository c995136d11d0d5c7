"""Roster import (upload → preview → confirm) and export pages.

Between the steps the uploaded bytes wait under VAR_DIR/imports/<token>/ with a JSON sidecar naming the
uploader and the community; only the uploader may go on with them, and they are deleted on confirm
(the error workbook of rejected rows stays until it goes stale, so nothing rejected is lost).
"""

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import scope_for, staff_scope
from audit.models import AccessAction
from audit.services import access_log_record
from people import identity, roster
from people.forms_roster import RosterUploadForm
from territory.models import TerritoryUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
STALE_SECONDS = 24 * 60 * 60
SHOWN_REJECTIONS = 200


def _imports_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def _pending_save(*, user, community, name: str, content: bytes) -> str:
    token = secrets.token_urlsafe(24)
    folder = _imports_dir() / token
    folder.mkdir(parents=True, mode=0o700)
    (folder / "upload.bin").write_bytes(identity.blob_encrypt(content))
    meta = {"uploader": user.pk, "community": community.pk, "name": name[:200], "created": time.time()}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def _pending_sweep() -> None:
    """Forget uploads nobody confirmed within a day."""
    root = _imports_dir()
    if not root.is_dir():
        return
    cutoff = time.time() - STALE_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and _TOKEN.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _pending_load(request, token: str):
    """The waiting upload's folder, sidecar and community; 404 unless the viewer uploaded it and may
    still manage that community."""
    _pending_sweep()
    if not _TOKEN.match(token):
        raise Http404
    folder = _imports_dir() / token
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    scope = scope_for(request.user)
    if meta.get("uploader") != request.user.pk or not scope.can_manage_community(meta.get("community")):
        raise Http404
    communities = TerritoryUnit.objects.visible_to(request.user).communities()
    community = get_object_or_404(communities, pk=meta["community"])
    return folder, meta, community


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    staff_scope(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        _pending_sweep()
        token = _pending_save(
            user=request.user,
            community=form.cleaned_data["community"],
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
    folder, meta, community = _pending_load(request, token)
    upload = folder / "upload.bin"
    if not upload.exists():
        raise Http404
    content = identity.blob_decrypt(upload.read_bytes())
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
        upload.unlink()
        if summary.rejected:
            (folder / "errors.xlsx").write_bytes(identity.blob_encrypt(roster.roster_error_workbook(summary)))
        else:
            shutil.rmtree(folder, ignore_errors=True)
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
    folder, meta, community = _pending_load(request, token)
    stored, upload = folder / "errors.xlsx", folder / "upload.bin"
    if stored.exists():
        content = identity.blob_decrypt(stored.read_bytes())
    elif upload.exists():
        try:
            summary = roster.roster_import(
                actor=request.user,
                community=community,
                data=identity.blob_decrypt(upload.read_bytes()),
                dry_run=True,
            )
        except roster.RosterFileError as exc:
            raise Http404 from exc
        content = roster.roster_error_workbook(summary)
    else:
        raise Http404
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
