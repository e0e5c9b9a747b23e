"""The checks of a pre-check, one function per kind of problem; none of them decides anything.

Every finding says what it rests on: the checklist line, the law's article, the number's standard.
Seals and signatures are only pointed out for staff; 受理条件 are listed as points to check, with the
passages retrieval found, never as a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from assistant.cases.identifiers import KIND_LABEL, IdentityKind, is_valid_identifier
from assistant.cases.item_rules import ChecklistSlot, ItemRules
from assistant.precheck.facts import Facts, read_facts, same_name
from assistant.precheck.findings import Finding
from assistant.precheck.slotting import Placement

# Form field names (as an applicant's form or a case's form data gives them) for each fact.
FORM_PERSON_NAME = ("姓名", "申请人姓名", "申请人", "name", "applicant_name")
FORM_PERSON_ID = ("公民身份号码", "身份证号码", "身份证号", "id_number")
FORM_ORG_NAME = ("单位名称", "企业名称", "名称", "company_name", "organisation_name")
FORM_CREDIT_CODE = ("统一社会信用代码", "credit_code")

LAW_31 = "《中华人民共和国行政许可法》第三十一条"
LAW_32 = "《中华人民共和国行政许可法》第三十二条"
_STANDARD: dict[IdentityKind, str] = {
    "person": "GB 11643《公民身份号码》的校验码规则",
    "enterprise": "GB 32100《法人和其他组织统一社会信用代码编码规则》的校验码规则",
}
_CERTIFICATE_SLOT = re.compile(r"身份证|营业执照|法人证书|身份证明|身份证件")
_SEAL_SLOT = re.compile(r"盖章|签名|签字|承诺书|委托书|决议|申请表|申请书|申报表|登记表")
_DUPLICATE_MIN_CHARS = 20

ConditionFinder = Callable[[ItemRules], list[Finding]]


def slot_basis(slot: ChecklistSlot) -> str:
    return f"本事项申请材料清单第{slot.index + 1}项“{slot.name}”"


def first_copies(placements: list[Placement]) -> list[Placement]:
    """The placements without the second and later uploads of the same file."""
    seen: set[str] = set()
    result = []
    for placement in placements:
        if placement.material.error is not None or placement.material.sha256 not in seen:
            seen.add(placement.material.sha256)
            result.append(placement)
    return result


def missing_materials(rules: ItemRules, placements: list[Placement]) -> list[Finding]:
    readable = {p.slot.index for p in placements if p.slot is not None and p.material.error is None}
    return [
        Finding(
            kind="missing",
            severity="error",
            message=f"缺少必需材料“{slot.name}”",
            basis=f"{slot_basis(slot)}；{LAW_32}（材料不齐全的，一次告知需要补正的全部内容）",
            slot_index=slot.index,
        )
        for slot in rules.checklist
        if slot.required and slot.index not in readable
    ]


def identifiers(form: dict[str, Any], placements: list[Placement], min_confidence: float) -> list[Finding]:
    """Identity numbers in the form and in the materials that fail their checksum."""
    found: list[Finding] = []
    for kind, keys in (("person", FORM_PERSON_ID), ("enterprise", FORM_CREDIT_CODE)):
        for key in keys:
            value = str(form.get(key) or "").strip()
            if value and not is_valid_identifier(kind, value):  # type: ignore[arg-type]
                found.append(_bad_number(kind, value, f"申请表“{key}”栏"))  # type: ignore[arg-type]
    for placement in placements:
        for page in placement.material.pages:
            if page.confidence < min_confidence:
                continue  # a poorly read page gets an "unreadable" finding; its digits are not to be trusted
            for ident in read_facts(page.text).identifiers:
                if not is_valid_identifier(ident.kind, ident.number):
                    where = f"材料“{placement.material.name}”第{page.number}页"
                    found.append(_bad_number(ident.kind, ident.number, where, placement, page.number))
    return found


def _bad_number(
    kind: IdentityKind, number: str, where: str, placement: Placement | None = None, page: int | None = None
) -> Finding:
    return Finding(
        kind="bad_identifier",
        severity="error",
        message=f"{where}中的{KIND_LABEL[kind]} {number} 校验不通过，请核对",
        basis=_STANDARD[kind],
        material=placement.material.name if placement else None,
        slot_index=placement.slot.index if placement and placement.slot else None,
        page=page,
    )


def form_against_certificates(form: dict[str, Any], placements: list[Placement]) -> list[Finding]:
    """Names and numbers typed into the form that differ from those on the certificates uploaded."""
    found: list[Finding] = []
    for placement in placements:
        if placement.slot is None or not _CERTIFICATE_SLOT.search(placement.slot.name):
            continue
        facts = read_facts(placement.material.text)
        for label, keys, values, equal, kind in _comparisons(facts):
            typed = next((str(form[k]).strip() for k in keys if str(form.get(k) or "").strip()), "")
            if kind is not None and typed and not is_valid_identifier(kind, typed):
                continue  # already reported as a bad number; a mismatch would say the same twice
            if typed and values and not any(equal(typed, v) for v in values):
                found.append(
                    Finding(
                        kind="mismatch",
                        severity="error",
                        message=f"申请表填写的{label}“{typed}”与“{placement.material.name}”上的“{values[0]}”不一致",
                        basis=f"{slot_basis(placement.slot)}；申请表应与证照记载一致（{LAW_31}：申请人对材料实质内容的真实性负责）",
                        material=placement.material.name,
                        slot_index=placement.slot.index,
                    )
                )
    return found


Comparison = tuple[str, tuple[str, ...], list[str], Callable[[str, str], bool], IdentityKind | None]


def _comparisons(facts: Facts) -> Iterable[Comparison]:
    """(label, form keys, values on the certificate, equality, identifier kind) for each fact compared."""
    person_ids = [i.number for i in facts.identifiers if i.kind == "person" and is_valid_identifier("person", i.number)]
    codes = [
        i.number for i in facts.identifiers if i.kind == "enterprise" and is_valid_identifier("enterprise", i.number)
    ]
    same_number: Callable[[str, str], bool] = lambda a, b: a.upper().replace(" ", "") == b  # noqa: E731
    yield "姓名", FORM_PERSON_NAME, facts.person_names, same_name, None
    yield "公民身份号码", FORM_PERSON_ID, person_ids, same_number, "person"
    yield "单位名称", FORM_ORG_NAME, facts.organisation_names, same_name, None
    yield "统一社会信用代码", FORM_CREDIT_CODE, codes, same_number, "enterprise"


def validity(placements: list[Placement], today: date, decision_due: date | None) -> list[Finding]:
    found: list[Finding] = []
    for placement in placements:
        for page in placement.material.pages:
            for end in read_facts(page.text).valid_until:
                slot = placement.slot
                basis = (slot_basis(slot) + "；") if slot else ""
                if end < today:
                    found.append(
                        Finding(
                            kind="expired",
                            severity="error",
                            message=f"“{placement.material.name}”的有效期已于{end:%Y年%m月%d日}届满",
                            basis=f"{basis}证照有效期（{end.isoformat()}）早于今天（{today.isoformat()}）",
                            material=placement.material.name,
                            slot_index=slot.index if slot else None,
                            page=page.number,
                        )
                    )
                elif decision_due is not None and end < decision_due:
                    found.append(
                        Finding(
                            kind="expires_before_decision",
                            severity="warning",
                            message=f"“{placement.material.name}”的有效期（至{end:%Y年%m月%d日}）在办结期限"
                            f"（{decision_due:%Y年%m月%d日}）前届满",
                            basis=f"{basis}证照有效期（{end.isoformat()}）早于本件的法定办结期限（{decision_due.isoformat()}）",
                            material=placement.material.name,
                            slot_index=slot.index if slot else None,
                            page=page.number,
                        )
                    )
    return found


def pages(placements: list[Placement], min_confidence: float) -> list[Finding]:
    """Files that cannot be opened, blank or unreadable pages, images that are no document, duplicates."""
    found: list[Finding] = []
    seen_files: dict[str, str] = {}
    seen_pages: dict[str, tuple[str, int]] = {}
    for placement in placements:
        material = placement.material
        slot_index = placement.slot.index if placement.slot else None

        def finding(kind: Any, severity: Any, message: str, basis: str, page: int | None = None) -> Finding:
            return Finding(kind, severity, message, basis, material.name, slot_index, page)  # noqa: B023

        if material.error is not None:
            found.append(
                finding("unreadable_file", "error", f"“{material.name}”无法读取：{material.error}", _basis(placement))
            )
            continue
        first = seen_files.setdefault(material.sha256, material.name)
        if first != material.name:
            found.append(
                finding("duplicate", "warning", f"“{material.name}”与“{first}”是同一文件，重复提交", _basis(placement))
            )
            continue
        if material.pages and all(p.blank for p in material.pages):
            found.append(finding("blank", "error", f"“{material.name}”是空白文件", _basis(placement)))
            continue
        if material.pages and all(p.no_text for p in material.pages) and not _photo_slot(placement):
            found.append(
                finding(
                    "not_document",
                    "error",
                    f"“{material.name}”中没有文字，不像是证件或材料的扫描件、照片",
                    _basis(placement) + "；申请材料应清晰完整",
                )
            )
            continue
        for page in material.pages:
            if page.blank:
                found.append(
                    finding(
                        "blank",
                        "warning",
                        f"“{material.name}”第{page.number}页是空白页",
                        _basis(placement),
                        page.number,
                    )
                )
            elif page.source == "ocr" and not page.no_text and page.confidence < min_confidence:
                found.append(
                    finding(
                        "unreadable",
                        "error",
                        f"“{material.name}”第{page.number}页不清晰，难以辨认"
                        f"（识别置信度 {page.confidence:.2f}），请重新扫描或拍照",
                        _basis(placement) + "；申请材料应清晰可辨",
                        page.number,
                    )
                )
            key = re.sub(r"\s+", "", page.text)
            if len(key) >= _DUPLICATE_MIN_CHARS and page.confidence >= min_confidence:
                where = seen_pages.setdefault(key, (material.name, page.number))
                if where != (material.name, page.number):
                    found.append(
                        finding(
                            "duplicate",
                            "warning",
                            f"“{material.name}”第{page.number}页与“{where[0]}”第{where[1]}页内容相同，重复提交",
                            _basis(placement),
                            page.number,
                        )
                    )
    return found


def _photo_slot(placement: Placement) -> bool:
    return placement.slot is not None and bool(re.search(r"照片|相片|彩照", placement.slot.name))


def _basis(placement: Placement) -> str:
    return slot_basis(placement.slot) if placement.slot else "申请材料清单"


def not_required(placements: list[Placement], min_confidence: float) -> list[Finding]:
    """Readable uploads that fit no slot: the applicant need not supply them (said, not blocked). A file
    that could not be read is not called unasked-for: what it is cannot be told."""
    return [
        Finding(
            kind="not_required",
            severity="info",
            message=f"“{p.material.name}”不在本事项的申请材料清单中，申请人无需提交，不影响受理",
            basis=f"{LAW_31}：行政机关不得要求申请人提交与其申请的行政许可事项无关的材料",
            material=p.material.name,
        )
        for p in placements
        if p.slot is None
        and p.material.error is None
        and any(not pg.no_text and not pg.blank and pg.confidence >= min_confidence for pg in p.material.pages)
    ]


def seals_and_signatures(placements: list[Placement], min_confidence: float) -> list[Finding]:
    """Materials with a place for a seal or a signature: for staff to check by eye; never judged here.

    Files that cannot be read are left out: they come back anyway, and are checked then."""
    found: list[Finding] = []
    for p in placements:
        legible = [page for page in p.material.pages if not page.no_text and page.confidence >= min_confidence]
        if p.slot is None or p.material.error is not None or not legible:
            continue
        facts = read_facts(p.material.text)
        if facts.asks_seal or facts.asks_signature or _SEAL_SLOT.search(p.slot.name):
            what = (
                "、".join(w for w, on in (("盖章", facts.asks_seal), ("签名", facts.asks_signature)) if on)
                or "签名或盖章"
            )
            found.append(
                Finding(
                    kind="seal_signature",
                    severity="info",
                    message=f"“{p.material.name}”的{what}须由工作人员核验（程序不判断印章、签名的有无和真伪）",
                    basis=slot_basis(p.slot),
                    material=p.material.name,
                    slot_index=p.slot.index,
                )
            )
    return found
