"""Text of a scanned page by OCR (rapidocr-onnxruntime: PP-OCRv4 models inside the wheel, nothing downloaded).

A page may arrive turned by 90, 180 or 270 degrees. rapidocr reads the text of each line whatever the
page's turn (it rotates tall line crops and its direction classifier flips upside-down ones), but the
lines then come out in the wrong order. The page's turn is read from the same pass: most line boxes
tall means a quarter turn, and the classifier's verdicts say which way; lines are then put back in
reading order in the upright page's coordinates, so no second OCR pass is needed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

# rapidocr rotates a line crop by a quarter turn when it is this much taller than wide (get_crop_img_list).
_TALL = 1.5


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float  # recognition confidence, 0..1


@dataclass(frozen=True)
class OcrPage:
    lines: list[OcrLine]
    rotation: int  # degrees the page was turned (counter-clockwise) and has been read as upright
    chars: int  # characters recognised, including lines read with too little confidence to keep
    confidence: float  # recognition confidence over all those characters (1.0 for a page without text)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class PageOcr:
    """One shared rapidocr engine (loaded on first use; onnxruntime sessions are not re-entrant here)."""

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def engine(self) -> Any:
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            threads = self.threads or -1
            self._engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads)
        return self._engine

    def read(self, image: np.ndarray) -> OcrPage:
        """Lines of an RGB (or grey) image in reading order, with the page's turn corrected."""
        with self._lock:
            engine = self.engine()
            prepared, _, _ = engine.preprocess(_bgr(image))
            prepared, _ = engine.maybe_add_letterbox(prepared, {})
            boxes, _ = engine.auto_text_det(prepared)
            if boxes is None:
                return OcrPage(lines=[], rotation=0, chars=0, confidence=1.0)
            crops = engine.get_crop_img_list(prepared, boxes)
            crops, verdicts, _ = engine.text_cls(crops)
            recognised, _ = engine.text_rec(crops, False)
        rotation = _page_rotation(boxes, verdicts)
        found = [
            (_upright_centre(box, rotation), _size(box, rotation), str(rec[0]).strip(), float(rec[1]))
            for box, rec in zip(boxes, recognised, strict=True)
            if str(rec[0]).strip()
        ]
        kept = [f for f in found if f[3] >= engine.text_score]
        chars = sum(len(f[2]) for f in found)
        confidence = sum(f[3] * len(f[2]) for f in found) / chars if chars else 1.0
        return OcrPage(lines=_reading_order(kept), rotation=rotation, chars=chars, confidence=confidence)


def _bgr(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.ascontiguousarray(np.stack([image] * 3, axis=-1))
    return np.ascontiguousarray(image[:, :, ::-1])  # rapidocr works on OpenCV's BGR order


def _dims(box: np.ndarray) -> tuple[float, float]:
    width = max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))
    height = max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))
    return float(width), float(height)


def _page_rotation(boxes: list[np.ndarray], verdicts: list[Any]) -> int:
    """0, 90, 180 or 270: how far the page is turned counter-clockwise, by majority of its line boxes."""
    tall = [_dims(b)[1] >= _TALL * _dims(b)[0] for b in boxes]
    flipped = [str(v[0]) == "180" for v in verdicts]
    quarter = sum(tall) * 2 > len(boxes)
    relevant = [f for f, t in zip(flipped, tall, strict=True) if t == quarter]
    upside_down = sum(relevant) * 2 > len(relevant)
    if quarter:  # tall crops were turned a quarter counter-clockwise before reading
        return 90 if upside_down else 270
    return 180 if upside_down else 0


def _upright_centre(box: np.ndarray, rotation: int) -> tuple[float, float]:
    x, y = (float(v) for v in box.mean(axis=0))
    return {0: (x, y), 90: (-y, x), 180: (-x, -y), 270: (y, -x)}[rotation]


def _size(box: np.ndarray, rotation: int) -> float:
    """The line's height in the upright page."""
    width, height = _dims(box)
    return min(width, height) if rotation in (90, 270) else height


def _reading_order(found: list[tuple[tuple[float, float], float, str, float]]) -> list[OcrLine]:
    """Boxes grouped into lines (centres within half a line height) top to bottom, left to right within."""
    lines: list[list[tuple[tuple[float, float], float, str, float]]] = []
    for item in sorted(found, key=lambda f: f[0][1]):
        (_, y), height, _, _ = item
        if lines and abs(y - lines[-1][0][0][1]) < max(height, lines[-1][0][1]) / 2:
            lines[-1].append(item)
        else:
            lines.append([item])
    result: list[OcrLine] = []
    for group in lines:
        group.sort(key=lambda f: f[0][0])
        text = " ".join(f[2] for f in group)
        chars = sum(len(f[2]) for f in group)
        score = sum(f[3] * len(f[2]) for f in group) / chars
        result.append(OcrLine(text=text, score=score))
    return result
