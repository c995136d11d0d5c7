"""Rosters waiting between upload, preview and confirm, kept in Django's default file storage.

The default storage is the one every instance shares (the disk under MEDIA_ROOT on one machine, an S3
bucket for several), so the preview may be served by one instance and the confirm by another. Each
upload waits under imports/<token>/: upload.bin (the file, encrypted), meta.json (who uploaded it, into
which community, when) and, after a confirm with rejected rows, errors.xlsx (encrypted). Nothing here is
served directly: the roster views read it back after checking who asks.
"""

import contextlib
import json
import os
import re
import secrets
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from people import identity

STALE_SECONDS = 24 * 60 * 60
ROOT = "imports"
UPLOAD, ERRORS, META = "upload.bin", "errors.xlsx", "meta.json"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _path(token: str, name: str) -> str:
    return f"{ROOT}/{token}/{name}"


def _write(token: str, name: str, content: bytes) -> None:
    saved = default_storage.save(_path(token, name), ContentFile(content))
    if saved != _path(token, name):  # a fresh token's folder is empty: anything else is a bug
        default_storage.delete(saved)
        raise RuntimeError(f"pending import {token} already has {name}")


def pending_import_save(*, uploader_id: int, community_id: int, name: str, content: bytes) -> str:
    """Keep an uploaded roster (encrypted) until it is confirmed; returns the token that names it."""
    token = secrets.token_urlsafe(24)
    meta = {"uploader": uploader_id, "community": community_id, "name": name[:200], "created": time.time()}
    # The sidecar first: another upload's sweep takes a folder without one for debris.
    _write(token, META, json.dumps(meta, ensure_ascii=False).encode())
    _write(token, UPLOAD, identity.blob_encrypt(content))
    return token


def _meta_read(token: str) -> dict | None:
    try:
        with default_storage.open(_path(token, META), "rb") as handle:
            meta = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _stale(meta: dict | None, now: float | None) -> bool:
    return meta is None or float(meta.get("created") or 0) < (now or time.time()) - STALE_SECONDS


def pending_import_meta(token: str, *, now: float | None = None) -> dict | None:
    """The sidecar of a waiting upload (uploader, community, name, created), or None when the token is
    malformed, unknown or older than a day (then its files are removed)."""
    if not _TOKEN.match(token or ""):
        return None
    meta = _meta_read(token)
    if meta is not None and _stale(meta, now):
        pending_import_delete(token)
        return None
    return meta


def pending_import_read(token: str, name: str) -> bytes | None:
    """The decrypted upload (UPLOAD) or error workbook (ERRORS) of a waiting import, None if absent."""
    try:
        with default_storage.open(_path(token, name), "rb") as handle:
            return identity.blob_decrypt(handle.read())
    except OSError:
        return None


def pending_import_keep_errors(token: str, workbook: bytes) -> None:
    """After a confirm: forget the upload, keep the rejected rows (encrypted) for download."""
    default_storage.delete(_path(token, UPLOAD))
    _write(token, ERRORS, identity.blob_encrypt(workbook))


def pending_import_delete(token: str) -> None:
    """Forget a waiting import and all its files."""
    for name in (UPLOAD, ERRORS, META):
        default_storage.delete(_path(token, name))
    _folder_remove(f"{ROOT}/{token}")


def pending_imports_sweep(*, now: float | None = None) -> int:
    """Forget uploads nobody confirmed within a day (called on each upload). Returns how many went."""
    try:
        tokens, _files = default_storage.listdir(ROOT)
    except (OSError, NotImplementedError):
        return 0
    swept = 0
    for token in tokens:
        if _TOKEN.match(token) and _stale(_meta_read(token), now):
            pending_import_delete(token)
            swept += 1
    return swept


def _folder_remove(name: str) -> None:
    """Remove an empty folder on a disk storage; object stores have no folders to remove."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        return
    with contextlib.suppress(OSError):  # not empty, or already gone
        os.rmdir(path)
