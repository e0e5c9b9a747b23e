"""Plain text and Markdown: decoding without a declared encoding, and Markdown markup removed."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from assistant.ingest.errors import LoadError

# Control characters other than tab, newline, carriage return and form feed: text never has many of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes of unknown encoding: UTF-8 if it decodes strictly, else GB18030 (a superset of GBK
    and GB2312, the usual encodings of Chinese government files), else charset-normalizer's best guess.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return _checked(data.decode(encoding), name)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise LoadError(f"{name}: cannot tell the text encoding (not UTF-8, GB18030 or another known one)")
    return _checked(str(best), name)


def _checked(text: str, name: str) -> str:
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise LoadError(f"{name}: looks like binary data, not text")
    return text


_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"^```.*$", re.M), ""),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M), r"\1"),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),
    (re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.M), ""),
    (re.compile(r"^[ \t]*[-*+][ \t]+", re.M), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M), ""),
)
_MD_TITLE = re.compile(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def markdown_to_text(markdown: str) -> tuple[str, str | None]:
    """Markdown as plain lines (headings, emphasis, links and list bullets unwrapped) and its ``# `` title."""
    title = _MD_TITLE.search(markdown)
    text = markdown
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return text, title.group(1) if title else None
