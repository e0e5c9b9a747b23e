"""HTML pages as plain lines: one line per block element, scripts and navigation dropped."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from assistant.ingest.errors import LoadError
from assistant.ingest.loaders.text import decode_text

_DROPPED = {"script", "style", "nav", "noscript", "template", "iframe", "svg", "head", "button", "select"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main",
    "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "ul",
}  # fmt: skip
_ROW, _CELLS = "tr", {"td", "th"}
_CELL_SEPARATOR = " | "
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


def html_to_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The page's text with block structure kept as line breaks, and its ``<title>`` (a title hint)."""
    root = lxml.html.document_fromstring(_decode(data, name))
    title_node = root.find(".//title")
    title = " ".join(title_node.text_content().split()) if title_node is not None else None
    collector = _LineCollector()
    collector.walk(root)
    collector.end_line()
    return "\n".join(collector.lines), title or None


def _decode(data: bytes, name: str) -> str:
    """Text of the page: its declared charset when that decodes, else the same detection as plain text."""
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        encoding = declared.group(1).decode("ascii").lower()
        encoding = "gb18030" if encoding in {"gb2312", "gbk"} else encoding
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            text = decode_text(data, name)
    else:
        text = decode_text(data, name)
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        raise LoadError(f"{name}: the page is empty")
    return text


class _LineCollector:
    """Collects text in document order, starting a new line at every block element and ``<br>``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current = ""

    def walk(self, element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else None  # comments and processing instructions
        if tag is None or tag in _DROPPED:
            self.add(element.tail)
            return
        block = tag in _BLOCKS or tag == _ROW
        if block or tag == "br":
            self.end_line()
        if tag in _CELLS and self.current.strip():
            self.current += _CELL_SEPARATOR
        self.add(element.text)
        for child in element:
            self.walk(child)
        if block:
            self.end_line()
        self.add(element.tail)

    def add(self, text: str | None) -> None:
        if text:
            self.current += re.sub(r"\s+", " ", text)

    def end_line(self) -> None:
        if self.current.strip():
            self.lines.append(self.current.strip())
        self.current = ""
