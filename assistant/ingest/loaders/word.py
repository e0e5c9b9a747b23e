"""Word .docx files: paragraphs and tables in document order."""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.ingest.errors import LoadError

_CELL_SEPARATOR = " | "


def docx_to_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The document's text (one line per paragraph, one per table row) and its core-properties title."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and key errors alike on damaged files
        raise LoadError(f"{name}: not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend(_table_lines(block))
    title = (document.core_properties.title or "").strip()
    return "\n".join(lines), title or None


def _table_lines(table: Table) -> list[str]:
    """One line per row; a merged cell repeats in every row python-docx reports it for, so it is kept once."""
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(_CELL_SEPARATOR.join(cells))
    return lines
