"""Character normalisation both sides of a search share: documents at ingest (ingest/clean.py) and
questions (retrieval/query.py) spell "ＣＰＡ" and "CPA" alike."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_ODD_SPACES = re.compile("[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_FULL_WIDTH = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９
    | {chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)}  # Ａ-Ｚ
    | {chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)}  # ａ-ｚ
    | {"％": "%", "＋": "+", "．": ".", "／": "/", "＝": "=", "＠": "@", "＃": "#", "＆": "&", "＿": "_"}
)


def normalise_characters(text: str) -> str:
    """Invisible characters out, full-width letters, digits and symbols to ASCII, odd spaces to plain ones.

    Chinese punctuation (，。？) stays. Queries get the same treatment.
    """
    return _ODD_SPACES.sub(" ", _INVISIBLE.sub("", text).translate(_FULL_WIDTH))
