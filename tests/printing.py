"""Printing a workbook the way a user does: LibreOffice converts it to PDF, poppler measures
the words on each page. Used by the print tests of the reports, templates and feedback.

In CI (`CI=true`) LibreOffice and poppler are installed by .ci/run, so a missing one fails
the test; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

# A word's box is ~1.2x (Carlito) to ~1.3x (DejaVu Sans) its font size: 8 pt text boxes >= 9.6.
MIN_BOX_FOR_8PT = 9.6
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed (.ci/run installs it)")
    pytest.skip(f"{name} is not installed")


def to_pdf(workbook: Path, out_dir: Path) -> Path:
    soffice = _tool("soffice")
    _tool("pdftotext")
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(out_dir)}  # LibreOffice writes its profile under HOME
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(workbook)],
        check=True,
        capture_output=True,
        timeout=240,
        env=env,
    )
    pdf = out_dir / (workbook.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice wrote no {pdf.name}"
    return pdf


def words(pdf: Path) -> list[Word]:
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    out: list[Word] = []
    for page_no, page in enumerate(text.split("<page ")[1:], 1):
        for m in _WORD.finditer(page):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            out.append(Word(page_no, x0, y0, x1, y1, m.group(5)))
    return out


def page_count(pdf: Path) -> int:
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.count("<page ")


def overlapping(found: list[Word]) -> list[tuple]:
    """Pairs of words on one page whose boxes cross (text printed over text)."""
    pairs = []
    by_page: dict[int, list[Word]] = defaultdict(list)
    for w in found:
        by_page[w.page].append(w)
    for words in by_page.values():
        words.sort(key=lambda w: w.y0)
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b.y0 >= a.y1 - 1.0:
                    break
                # boxes carry the font's line gap: a third of a line is text over text
                shared_y = min(a.y1, b.y1) - max(a.y0, b.y0)
                if min(a.x1, b.x1) - max(a.x0, b.x0) > 1.0 and shared_y > min(a.height, b.height) / 3:
                    pairs.append((a.text, b.text, a.page))
    return pairs
