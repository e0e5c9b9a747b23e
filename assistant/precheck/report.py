"""The 预审意见 for staff (one row per checklist slot) and the findings a 补正告知书 lists, each once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.cases.item_rules import ItemRules
from assistant.precheck.findings import CORRECTABLE, Finding
from assistant.precheck.slotting import Placement

AI_LABEL = "【人工智能生成】本预审意见由系统自动生成，仅供参考；是否受理、补正或不予受理，由工作人员审核决定。"


@dataclass(frozen=True)
class FileEntry:
    name: str
    confidence: float  # how surely the file is this slot's material
    pages: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class SlotRow:
    index: int
    name: str
    required: bool
    status: str  # 齐全 / 有问题 / 待核验 / 缺少 / 未提交
    files: tuple[FileEntry, ...]
    findings: tuple[Finding, ...]  # about the slot itself (missing)


@dataclass(frozen=True)
class PrecheckReport:
    item_id: str
    item_name: str
    rows: tuple[SlotRow, ...]
    unmatched: tuple[FileEntry, ...]  # uploads that fit no slot
    findings: tuple[Finding, ...]  # every finding, in check order
    correction_items: tuple[str, ...]  # the 补正告知书's list: every problem once, with its basis
    points_to_check: tuple[Finding, ...]  # 受理条件 for staff, with citations
    label: str = AI_LABEL
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """No problem the applicant would have to correct was found (staff still decide)."""
        return not self.correction_items

    def as_dict(self) -> dict[str, Any]:
        def entry(e: FileEntry) -> dict[str, Any]:
            return {
                "name": e.name,
                "confidence": e.confidence,
                "pages": e.pages,
                "findings": [f.as_dict() for f in e.findings],
            }

        return {
            "label": self.label,
            "item_id": self.item_id,
            "item_name": self.item_name,
            "ready": self.ready,
            "rows": [
                {
                    "index": r.index,
                    "name": r.name,
                    "required": r.required,
                    "status": r.status,
                    "files": [entry(e) for e in r.files],
                    "findings": [f.as_dict() for f in r.findings],
                }
                for r in self.rows
            ],
            "unmatched": [entry(e) for e in self.unmatched],
            "findings": [f.as_dict() for f in self.findings],
            "correction_items": list(self.correction_items),
            "points_to_check": [f.as_dict() for f in self.points_to_check],
            "meta": self.meta,
        }

    def as_text(self) -> str:
        """The 预审意见 as a Markdown table, then the draft 补正 list and the points to check."""
        lines = [f"# 预审意见：{self.item_name}（{self.item_id}）", "", self.label, ""]
        lines += ["| 序号 | 材料 | 文件 | 状态 | 发现的问题及依据 |", "| --- | --- | --- | --- | --- |"]
        for r in self.rows:
            files = "；".join(f"{e.name}（{e.confidence:.2f}）" for e in r.files) or "—"
            problems = [f for e in r.files for f in e.findings] + list(r.findings)
            text = "；".join(f"{f.message}〔{f.basis}〕" for f in problems) or "—"
            lines.append(
                f"| {r.index + 1} | {r.name}{'' if r.required else '（非必需）'} | {files} | {r.status} | {text} |"
            )
        for e in self.unmatched:
            text = "；".join(f"{f.message}〔{f.basis}〕" for f in e.findings) or "—"
            lines.append(f"| — | （清单外） | {e.name} | 清单外 | {text} |")
        lines += ["", "## 需一次性告知补正的内容（草稿）", ""]
        lines += [f"{n}. {item}" for n, item in enumerate(self.correction_items, 1)] or ["（未发现需补正的问题）"]
        if self.points_to_check:
            lines += ["", "## 受理条件核对要点（供工作人员核对，非结论）", ""]
            for f in self.points_to_check:
                sources = "；".join(f"[{c['n']}]《{c['title']}》{c.get('section') or ''}" for c in f.citations)
                lines.append(f"- {f.message}" + (f"（出处：{sources}）" if sources else f"（{f.basis}）"))
        return "\n".join(lines)


def build_report(
    rules: ItemRules, placements: list[Placement], findings: list[Finding], meta: dict[str, Any]
) -> PrecheckReport:
    def entry(p: Placement) -> FileEntry:
        own = tuple(f for f in findings if f.material == p.material.name and f.kind != "acceptance_condition")
        return FileEntry(p.material.name, round(p.confidence, 3), len(p.material.pages), own)

    rows = []
    for slot in rules.checklist:
        files = tuple(entry(p) for p in placements if p.slot is not None and p.slot.index == slot.index)
        own = tuple(f for f in findings if f.slot_index == slot.index and f.material is None)
        problems = [f for e in files for f in e.findings] + list(own)
        if not files:
            status = "缺少" if slot.required else "未提交"
        elif any(f.severity == "error" for f in problems):
            status = "有问题"
        elif problems:
            status = "待核验"
        else:
            status = "齐全"
        rows.append(SlotRow(slot.index, slot.name, slot.required, status, files, own))
    unmatched = tuple(entry(p) for p in placements if p.slot is None)
    return PrecheckReport(
        item_id=rules.item_id,
        item_name=rules.name,
        rows=tuple(rows),
        unmatched=unmatched,
        findings=tuple(findings),
        correction_items=correction_items(findings),
        points_to_check=tuple(f for f in findings if f.kind == "acceptance_condition"),
        meta=meta,
    )


def correction_items(findings: list[Finding]) -> tuple[str, ...]:
    """What a 补正告知书 lists: each correctable problem once, with its basis."""
    items: list[str] = []
    for f in findings:
        if f.kind in CORRECTABLE:
            text = f"{f.message}（依据：{f.basis}）"
            if text not in items:
                items.append(text)
    return tuple(items)
