"""PDF files: the text layer, one page after another, pages separated by form feeds."""

from __future__ import annotations

import io

from pypdf import PdfReader

from assistant.ingest.errors import LoadError

PAGE_BREAK = "\f"


def pdf_to_text(data: bytes, name: str) -> str:
    """The text layer of every page; a PDF of scanned images has none and is refused (OCR it first)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(f"{name}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except Exception as exc:  # pypdf raises many error types on damaged or non-PDF input
        raise LoadError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(page.strip() for page in pages):
        raise LoadError(f"{name}: the PDF has no text layer (scanned pages?); run OCR on it first")
    return PAGE_BREAK.join(pages)
