"""Which checklist slot each upload is: by what the document says it is, and by its file name.

A slot's name ("居民身份证", "《律师执业变更申请表》", "营业执照或事业单位法人证书") is compared with the
document's first lines (its title), its file name and the marks certificates carry ("公民身份号码" on an
ID card). Each upload goes to its best slot when the match is good enough; a slot may take several
uploads (front and back of a card). Uploads that fit no slot are reported, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from assistant.cases.item_rules import ChecklistSlot
from assistant.precheck.reading import ReadMaterial

# Below this an upload fits no slot.
MIN_CONFIDENCE = 0.45
# A further upload joins a slot that already has one (the back of a card) only on a strong match: a second
# photo without text does not join the photo slot on that alone.
MIN_EXTRA_CONFIDENCE = 0.75
# Words a slot name carries that say nothing about which document it is.
_NOISE = re.compile(
    r"[《》〈〉“”\"'；;，,。.、：:（）()\[\]【】\s]|原件|复印件|影印件|扫描件|\d+份|一份|两份|有效|提交|提供|相关|材料"
)
_GENERIC_FILE = re.compile(r"^(img|dsc|scan|image|photo|微信图片|mmexport|pxl|wechat)[_\-\d]*", re.I)
# Marks that identify a kind of certificate whatever its title line says: (slot words, text marks).
_KINDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("身份证", "身份证明", "身份证件"), ("公民身份号码", "居民身份证")),
    (("营业执照", "法人证书", "法人证明"), ("营业执照", "统一社会信用代码")),
    (("户口簿", "户口本"), ("常住人口登记卡", "户口簿", "户主")),
    (("社会保障卡", "社保卡", "社会保障（市民）卡"), ("社会保障卡",)),
    (("承诺书",), ("承诺书", "本人承诺", "郑重承诺")),
    (("委托书",), ("委托书", "委托人", "受托人")),
    (("申请表", "申报表", "申请书", "登记表", "审核表"), ("申请表", "申报表", "申请书", "登记表")),
)
_ALTERNATIVES = re.compile(r"或者|或|/|、")
_PHOTO_SLOT = re.compile(r"照片|相片|彩照")


@dataclass(frozen=True)
class Placement:
    material: ReadMaterial
    slot: ChecklistSlot | None
    confidence: float


def place(materials: list[ReadMaterial], checklist: tuple[ChecklistSlot, ...]) -> list[Placement]:
    """Each material's slot (None: fits none) in upload order; declared slots are kept, with their match."""
    scores = {id(m): {s.index: slot_score(m, s) for s in checklist} for m in materials}
    chosen: dict[int, tuple[ChecklistSlot | None, float]] = {}
    for material in materials:
        declared = material.material.slot_index
        if declared is not None and 0 <= declared < len(checklist):
            chosen[id(material)] = (checklist[declared], scores[id(material)][declared])
    # Best pairs first, one upload per slot; then the rest join their best slot if it fits.
    filled: set[int] = {slot.index for slot, _ in chosen.values() if slot is not None}
    pairs = sorted(
        ((score, m, s) for m in materials for s in checklist if (score := scores[id(m)][s.index]) >= MIN_CONFIDENCE),
        key=lambda p: -p[0],
    )
    for score, material, slot in pairs:
        if id(material) not in chosen and slot.index not in filled:
            chosen[id(material)] = (slot, score)
            filled.add(slot.index)
    for score, material, slot in pairs:
        if id(material) not in chosen and score >= MIN_EXTRA_CONFIDENCE:
            chosen[id(material)] = (slot, score)
    return [Placement(m, *chosen.get(id(m), (None, 0.0))) for m in materials]


def slot_score(material: ReadMaterial, slot: ChecklistSlot) -> float:
    """0..1: how well the material matches the slot's name."""
    alternatives = [k for part in _ALTERNATIVES.split(slot.name) if (k := _key(part))]
    head = _key("".join(material.text.splitlines()[:4]))
    stem = PurePath(material.name).stem
    stem = "" if _GENERIC_FILE.match(stem) else _key(stem)
    score = max((max(_cover(w, head), _cover(w, stem)) for w in alternatives), default=0.0)
    text = material.text
    for slot_words, marks in _KINDS:
        if any(w in slot.name for w in slot_words) and any(mark in text for mark in marks):
            score = max(score, 0.8)
    if _PHOTO_SLOT.search(slot.name) and material.pages and all(p.no_text for p in material.pages):
        score = max(score, 0.7)  # a photo with no text fits a photo slot, and nothing else
    return round(score, 3)


def _key(value: str) -> str:
    return _NOISE.sub("", value)


def _cover(words: str, candidate: str) -> float:
    """Share of the slot name's character pairs found in the candidate (a title may say more than the slot)."""
    if not candidate:
        return 0.0
    if words in candidate:
        return 1.0
    pairs = {words[i : i + 2] for i in range(len(words) - 1)} or {words}
    return sum(1 for p in pairs if p in candidate) / len(pairs)
