"""The UI speaks Simplified Chinese by default: every message in the code has a Chinese translation."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
IGNORED = {".venv", "node_modules", "var", ".git", "staticfiles", "test-artifacts", "locale", "bench"}


def po_entries(path: Path) -> list[dict]:
    """A minimal .po reader: msgctxt/msgid/msgid_plural/msgstr[n] with continuation lines and flags."""
    entries, current, key = [], {}, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current.get("msgid") is not None:
                entries.append(current)
            current, key = {}, None
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:]
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+\"(.*)\"$", line)
        if match:
            key = match.group(1)
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
    return [e for e in entries if e.get("msgid")]


def test_every_message_is_translated_to_chinese():
    untranslated = []
    for entry in po_entries(PO):
        strings = [v for k, v in entry.items() if k.startswith("msgstr")]
        if "fuzzy" in entry.get("flags", "") or not all(strings):
            untranslated.append(entry["msgid"])
    assert untranslated == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed (CI installs it)")
def test_catalogue_holds_every_message_in_the_code(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=lambda d, names: [n for n in names if n in IGNORED])
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v", "0"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    in_code = {
        (e.get("msgctxt"), e["msgid"]) for e in po_entries(copy / "locale/zh_Hans/LC_MESSAGES/django.po")
    }
    in_catalogue = {(e.get("msgctxt"), e["msgid"]) for e in po_entries(PO)}
    missing = sorted(m for _c, m in in_code - in_catalogue)
    assert missing == [], "run `make messages` and translate the new strings"
