"""``PrecheckService.run``: read, place, check, report. It never changes a case: a person decides.

Under the applicants' 提交前自查 (no case), a case's 预审 (its stored materials and decision deadline),
the API and the CLI alike.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.cases.item_rules import ItemRules
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.precheck import checks
from assistant.precheck.findings import Finding
from assistant.precheck.ocr import PageOcr
from assistant.precheck.reading import Material, MaterialReader
from assistant.precheck.report import PrecheckReport, build_report
from assistant.precheck.slotting import place

if TYPE_CHECKING:
    from assistant.cases.items import ItemSource
    from assistant.retrieval.search import Searcher

_CONDITION_RESULTS = 3


class PrecheckError(AssistantError):
    """The pre-check cannot run for this item (and says why)."""


class NoChecklist(PrecheckError):
    """The item's catalogue record lists no materials to check against."""


class PrecheckService:
    def __init__(self, settings: Settings, searcher: Searcher | None = None, ocr: PageOcr | None = None) -> None:
        self.settings = settings
        self.searcher = searcher
        self.ocr = ocr or PageOcr(settings.precheck_ocr_threads)
        self.reader = MaterialReader(self.ocr, settings.precheck_max_image_pixels)

    def run(
        self,
        rules: ItemRules,
        form: dict[str, Any],
        materials: list[Material],
        decision_due: date | None = None,
        today: date | None = None,
    ) -> PrecheckReport:
        """The 预审意见 for these materials of an application for ``rules``' item."""
        if not rules.checklist:
            raise NoChecklist(_no_checklist(rules))
        started = time.perf_counter()
        today = today or date.today()
        read = [self.reader.read(m) for m in materials]
        read_seconds = time.perf_counter() - started
        placements = place(read, rules.checklist)
        min_conf = self.settings.precheck_min_confidence
        distinct = checks.first_copies(placements)  # a file uploaded twice is reported once, as a duplicate
        findings: list[Finding] = [
            *checks.missing_materials(rules, placements),
            *checks.pages(placements, min_conf),
            *checks.identifiers(form, distinct, min_conf),
            *checks.form_against_certificates(form, distinct),
            *checks.validity(distinct, today, decision_due),
            *checks.not_required(distinct, min_conf),
            *checks.seals_and_signatures(distinct, min_conf),
            *self.conditions(rules),
        ]
        meta = {
            "today": today.isoformat(),
            "decision_due": decision_due.isoformat() if decision_due else None,
            "pages": sum(len(r.pages) for r in read),
            "ocr_pages": sum(1 for r in read for p in r.pages if p.source == "ocr" and not p.blank),
            "seconds": round(time.perf_counter() - started, 3),
            "read_seconds": round(read_seconds, 3),
        }
        return build_report(rules, placements, findings, meta)

    def conditions(self, rules: ItemRules) -> list[Finding]:
        """The item's 受理条件 as points to check: its own 设定依据 and the passages retrieval finds."""
        points: list[Finding] = []
        if rules.accept_standard:
            points.append(
                Finding(
                    kind="acceptance_condition",
                    severity="info",
                    message=f"核对是否符合本事项的设定依据和受理条件：{rules.accept_standard[:160]}",
                    basis="事项目录“设定依据/受理标准”",
                )
            )
        if self.searcher is None:
            return points
        from assistant.retrieval.citation import Citation

        response = self.searcher.search(f"{rules.name} 受理条件 申请条件", top_k=_CONDITION_RESULTS)
        if not response.evidence:
            return points
        for n, result in enumerate(response.results, 1):
            citation = Citation.from_result(n, result)
            points.append(
                Finding(
                    kind="acceptance_condition",
                    severity="info",
                    message=f"核对：{' '.join(result.text.split())[:120]}",
                    basis=f"《{citation.title}》{citation.section}",
                    citations=(
                        {
                            "n": n,
                            "title": citation.title,
                            "section": citation.section,
                            "doc_id": citation.doc_id,
                            "chunk_id": citation.chunk_id,
                            "source": citation.source,
                        },
                    ),
                )  # fmt: skip
            )
        return points


def item_rules(items: ItemSource, item_id: str) -> ItemRules:
    """The rules of the catalogue item ``item_id`` (its TASK_CODE), when it has a checklist to check against."""
    rules = items.rules(item_id)  # UnknownItem (cases.errors) naming the id
    if not rules.checklist:
        raise NoChecklist(_no_checklist(rules))
    return rules


def _no_checklist(rules: ItemRules) -> str:
    return (
        f"事项“{rules.name}”（{rules.item_id}）在事项目录中没有列出申请材料，无法对照材料清单预审；"
        "请工作人员按办事指南人工核对"
    )
