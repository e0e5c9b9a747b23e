"""Every uploaded material as pages of text: PDF text layers and .docx through the ingest loaders, scans
and photos (JPG/PNG, image-only PDF pages) through OCR.

A file that cannot be read is not an exception here: the pre-check tells the applicant about every file
at once, so a zero-byte, encrypted, damaged, oversized or unsupported file becomes a ``ReadMaterial``
with ``error`` saying why, and the other files are still read.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from assistant.ingest.errors import LoadError
from assistant.ingest.loaders.pdf import PAGE_BREAK, pdf_to_text
from assistant.ingest.loaders.word import docx_to_text
from assistant.precheck.ocr import PageOcr

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
SUFFIXES = (".pdf", ".docx", *IMAGE_SUFFIXES)
# A page with fewer characters than this carries no content worth checking.
MIN_PAGE_CHARS = 4
# Grey-level spread below which an image is an empty sheet (paper texture and scanner noise stay below it).
_BLANK_SPREAD = 6.0
# Mean saturation and brightness (0-255) of a sheet of paper, printed or not, in a scan or a photo.
_PAPER_SATURATION = 40
_PAPER_BRIGHTNESS = 110
# OCR works on at most this long a side (rapidocr's own limit is 2000); larger scans are shrunk first.
_MAX_SIDE = 2000


@dataclass(frozen=True)
class Material:
    """One uploaded file; ``slot_index`` is the checklist slot it was filed under, when a case says so."""

    name: str
    data: bytes
    slot_index: int | None = None
    material_id: str | None = None


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    text: str
    source: Literal["text", "ocr"]
    confidence: float  # OCR confidence; 1.0 for a text layer
    rotation: int = 0  # degrees the scan was turned (corrected before reading)
    blank: bool = False
    no_text: bool = False  # an image with content but no text (a photo, not a document)


@dataclass
class ReadMaterial:
    material: Material
    pages: list[Page] = field(default_factory=list)
    error: str | None = None  # why the file could not be read at all

    @property
    def name(self) -> str:
        return self.material.name

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.material.data).hexdigest()

    @property
    def text(self) -> str:
        return "\n".join(page.text for page in self.pages)

    @property
    def is_image(self) -> bool:
        return PurePath(self.name).suffix.lower() in IMAGE_SUFFIXES


class MaterialReader:
    """Reads materials; OCR is shared and loaded on the first scanned page."""

    def __init__(self, ocr: PageOcr, max_image_pixels: int) -> None:
        self.ocr = ocr
        self.max_image_pixels = max_image_pixels

    def read(self, material: Material) -> ReadMaterial:
        read = ReadMaterial(material)
        suffix = PurePath(material.name).suffix.lower()
        if not material.data:
            read.error = "文件为空（0 字节），请重新上传"
        elif suffix not in SUFFIXES:
            read.error = f"不支持的文件类型“{suffix or '无后缀'}”，请提交 PDF、Word（.docx）或 JPG/PNG 图片"
        else:
            try:
                read.pages = self._pages(material, suffix)
            except UnreadableMaterial as exc:
                read.error = str(exc)
        return read

    def _pages(self, material: Material, suffix: str) -> list[Page]:
        if suffix == ".docx":
            try:
                text, _ = docx_to_text(material.data, material.name)
            except LoadError as exc:
                raise UnreadableMaterial("Word 文件已损坏或不是 .docx 文件，无法打开") from exc
            return [_text_page(1, text)]
        if suffix == ".pdf":
            return self._pdf_pages(material)
        return [self._image_page(1, _open_image(material.data, self.max_image_pixels))]

    def _pdf_pages(self, material: Material) -> list[Page]:
        from pypdf import PdfReader

        try:
            layers = pdf_to_text(material.data, material.name).split(PAGE_BREAK)
        except LoadError:
            layers = None  # no text layer at all (a scanned PDF), or unreadable: decided below
        try:
            reader = PdfReader(io.BytesIO(material.data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableMaterial("PDF 设有密码保护，无法读取，请提交未加密的文件")
            pages = list(reader.pages)
        except UnreadableMaterial:
            raise
        except Exception as exc:  # pypdf raises many error types on damaged or non-PDF input
            raise UnreadableMaterial("PDF 文件已损坏或不是 PDF 文件，无法打开") from exc
        result: list[Page] = []
        for number, page in enumerate(pages, 1):
            layer = layers[number - 1] if layers and number <= len(layers) else ""
            if len(_compact(layer)) >= MIN_PAGE_CHARS:
                result.append(_text_page(number, layer))
                continue
            images = _page_images(page)
            if not images:
                result.append(Page(number=number, text="", source="text", confidence=1.0, blank=True))
                continue
            largest = max(images, key=lambda data: len(data))
            result.append(self._image_page(number, _open_image(largest, self.max_image_pixels)))
        return result

    def _image_page(self, number: int, image: Image.Image) -> Page:
        # Averaged over 4x4 blocks, scanner grain cancels out and only marks on the sheet keep a spread.
        coarse = np.asarray(image.convert("L").reduce(4), dtype=np.float32)
        if float(coarse.std()) < _BLANK_SPREAD:
            return Page(number=number, text="", source="ocr", confidence=1.0, blank=True)
        read = self.ocr.read(np.asarray(image.convert("RGB")))
        if read.chars >= MIN_PAGE_CHARS:
            return Page(number, read.text, "ocr", read.confidence, rotation=read.rotation)
        if _looks_like_paper(image):  # a sheet with marks on it but no legible text: a scan too poor to read
            return Page(number, read.text, "ocr", confidence=0.0, rotation=read.rotation)
        return Page(number, read.text, "ocr", read.confidence, rotation=read.rotation, no_text=True)


class UnreadableMaterial(Exception):
    """Why one file cannot be read; becomes that file's finding, never a failed request."""


def _text_page(number: int, text: str) -> Page:
    blank = len(_compact(text)) < MIN_PAGE_CHARS
    return Page(number=number, text=text, source="text", confidence=1.0, blank=blank)


def _page_images(page: object) -> list[bytes]:
    try:
        return [image.data for image in page.images]  # type: ignore[attr-defined]
    except Exception:  # an image stream pypdf cannot decode counts as no image; the page is then blank
        return []


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """The decoded image, upright by its EXIF tag, shrunk to OCR size; refused above ``max_pixels``."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise UnreadableMaterial(_bad_image(exc, max_pixels)) from exc
    width, height = image.size
    if width * height > max_pixels:
        raise UnreadableMaterial(
            f"图片为 {width}×{height} 像素（{width * height / 1e6:.0f} 百万像素），超过预审可读取的上限 "
            f"{max_pixels / 1e6:.0f} 百万像素（ASSISTANT_PRECHECK_MAX_IMAGE_PIXELS），请缩小后重新上传"
        )
    try:
        image = ImageOps.exif_transpose(image)
        image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableMaterial("图片文件已损坏，无法读取，请重新扫描或拍照") from exc
    if max(image.size) > _MAX_SIDE:
        image.thumbnail((_MAX_SIDE, _MAX_SIDE))
    return image


def _bad_image(exc: Exception, max_pixels: int) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return f"图片像素过多，超过预审可读取的上限 {max_pixels / 1e6:.0f} 百万像素，请缩小后重新上传"
    return "不是可识别的图片文件，或文件已损坏，请重新扫描或拍照"


def _looks_like_paper(image: Image.Image) -> bool:
    """Light and nearly colourless on the whole, as paper is (a photo of a scene is neither)."""
    hsv = np.asarray(image.convert("HSV"), dtype=np.float32)
    return float(hsv[:, :, 1].mean()) < _PAPER_SATURATION and float(hsv[:, :, 2].mean()) > _PAPER_BRIGHTNESS


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
