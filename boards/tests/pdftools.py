"""Reading PDFs back the way a printer would: poppler-utils (pdffonts, pdftotext, pdftoppm, pdfinfo)
and zxing-cpp for the QR code on the rendered page."""

import re
import shutil
import subprocess
from pathlib import Path

import PIL.Image
import pytest
import zxingcpp

needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="poppler-utils is not installed (.ci/run installs it)"
)


def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def write(tmp_path: Path, body: bytes, name: str = "board.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def fonts(path: Path) -> list[dict]:
    """pdffonts' table: one dict per font with its name, type and whether it is embedded."""
    lines = _run("pdffonts", str(path)).splitlines()[2:]
    rows = []
    for line in lines:
        # name, type (may contain spaces), encoding, emb, sub, uni, object, id
        match = re.match(r"^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", line)
        assert match, f"unexpected pdffonts line: {line!r}"
        rows.append({"name": match[1], "type": match[2], "emb": match[4] == "yes"})
    return rows


def text(path: Path) -> str:
    return _run("pdftotext", "-layout", str(path), "-")


def pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", _run("pdfinfo", str(path)), re.M)[1])


def render(path: Path, page: int = 1, dpi: int = 100) -> PIL.Image.Image:
    out = path.with_suffix("")
    _run(
        "pdftoppm",
        "-png",
        "-r",
        str(dpi),
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
        str(path),
        str(out),
    )
    return PIL.Image.open(out.with_suffix(".png"))


def qr_texts(image: PIL.Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]
