"""Pre-check evaluation on generated application packages with planted defects (dev and holdout).

    python -m bench.precheck_eval                 # both splits, the default number of packages
    python -m bench.precheck_eval --split dev --packages 6 --json

Per defect kind: recall (planted defects found by a finding of the matching kind on the same file or
slot) and precision (findings of that kind that match a planted defect); false findings on clean
materials (materials of packages with no planted defect that got any problem finding); and for the
"to be checked by staff" flags, how many of the materials drawn with a signature or seal place are
flagged. The dev items are the ones tuned on; the holdout items (and seeds) never are.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from assistant.config import get_settings
from assistant.precheck.findings import CORRECTABLE
from assistant.precheck.report import PrecheckReport
from assistant.precheck.service import PrecheckService
from bench.precheck_packages import DEFECTS, DEV_ITEMS, HOLDOUT_ITEMS, Package, PackageMaker, catalogue_rows, rules_of

SPLITS = {"dev": (DEV_ITEMS, 1000), "holdout": (HOLDOUT_ITEMS, 9000)}
# The defects planted in a package, two at a time, rotating through every kind.
_KINDS = tuple(DEFECTS)


@dataclass
class Score:
    planted: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    reported: Counter[str] = field(default_factory=Counter)  # findings of the kind
    correct: Counter[str] = field(default_factory=Counter)  # findings of the kind matching a planted defect
    clean_materials: int = 0
    clean_flagged: int = 0
    false_examples: list[str] = field(default_factory=list)
    signed: int = 0
    signed_flagged: int = 0
    seal_flags: int = 0
    packages: int = 0
    pages: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        kinds = {}
        for kind in DEFECTS:
            planted, reported = self.planted[kind], self.reported[kind]
            kinds[kind] = {
                "planted": planted,
                "recall": round(self.found[kind] / planted, 3) if planted else None,
                "findings": reported,
                "precision": round(self.correct[kind] / reported, 3) if reported else None,
            }
        return {
            "packages": self.packages,
            "pages": self.pages,
            "seconds": round(self.seconds, 1),
            "kinds": kinds,
            "clean_materials": self.clean_materials,
            "clean_false_rate": round(self.clean_flagged / self.clean_materials, 3) if self.clean_materials else None,
            "false_examples": self.false_examples[:10],
            "seal_signature_recall": round(self.signed_flagged / self.signed, 3) if self.signed else None,
            "seal_signature_precision": round(self.signed_flagged / self.seal_flags, 3) if self.seal_flags else None,
        }


def packages(split: str, count: int) -> list[Package]:
    """``count`` packages per item of the split: the first clean, the others with two defects each."""
    items, base = SPLITS[split]
    rows = catalogue_rows(items)
    result: list[Package] = []
    turn = 0
    for n, item_id in enumerate(items):
        rules = rules_of(rows[item_id])
        maker = PackageMaker(
            rules,
            enterprise=bool(rules.checklist) and any("营业执照" in s.name or "法人" in s.name for s in rules.checklist),
        )  # noqa: E501
        for k in range(count):
            defects: tuple[str, ...] = ()
            if k % 3 != 0:  # a third of the packages are clean
                defects = (_KINDS[turn % len(_KINDS)], _KINDS[(turn + 5) % len(_KINDS)])
                turn += 1
            result.append(maker.make(base + n * 100 + k, defects))
    return result


def score(package: Package, report: PrecheckReport, into: Score) -> None:
    planted = {(kind, where) for kind, where in package.defects}
    for kind, _ in planted:
        into.planted[kind] += 1
    findings = [f for f in report.findings if f.kind in CORRECTABLE or f.kind == "not_required"]
    for kind, where in planted:
        if any(_matches(f, kind, where) for f in findings):
            into.found[kind] += 1
    for f in findings:
        kind = next(k for k, kinds in DEFECTS.items() if f.kind in kinds)
        if any(_matches(f, k, w) for k, w in package.consequences if k == kind):
            continue  # true, and following from a planted defect: neither a hit nor a false finding
        into.reported[kind] += 1
        if any(_matches(f, k, w) for k, w in planted if k == kind):
            into.correct[kind] += 1
    if package.clean:
        into.clean_materials += len(package.materials)
        flagged = {f.material for f in findings}
        into.clean_flagged += len(flagged)
        into.false_examples += [f"{report.item_name}: {f.message}" for f in findings]
    flags = {f.material for f in report.findings if f.kind == "seal_signature"}
    into.signed += len(package.signed)
    into.signed_flagged += len(flags & package.signed)
    into.seal_flags += len(flags)
    into.packages += 1
    into.pages += int(report.meta["pages"])


def _matches(finding: Any, kind: str, where: str) -> bool:
    if finding.kind not in DEFECTS[kind]:
        return False
    if where.startswith("slot:"):
        return finding.slot_index == int(where[5:]) and finding.material is None
    if where == "form":  # a mismatch names the certificate the form differs from
        return finding.material is None or kind == "mismatch"
    if kind == "duplicate":  # either copy of the pair may be the one named; the finding names both
        return finding.material == where or f"“{where}”" in finding.message
    return finding.material == where


def evaluate(split: str, count: int, service: PrecheckService) -> Score:
    result = Score()
    for package in packages(split, count):
        started = time.perf_counter()
        report = service.run(package.rules, package.form, package.materials, package.decision_due, package.today)
        result.seconds += time.perf_counter() - started
        score(package, report, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    parser.add_argument("--packages", type=int, default=6, help="packages per item")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    service = PrecheckService(get_settings())
    splits = list(SPLITS) if args.split == "both" else [args.split]
    results = {split: evaluate(split, args.packages, service).as_dict() for split in splits}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for split, r in results.items():
        print(f"## {split}: {r['packages']} packages, {r['pages']} pages, {r['seconds']} s")
        print("| defect | planted | recall | findings | precision |\n| --- | --- | --- | --- | --- |")
        for kind, k in r["kinds"].items():
            print(f"| {kind} | {k['planted']} | {k['recall']} | {k['findings']} | {k['precision']} |")
        print(f"clean materials {r['clean_materials']}, with a false finding: {r['clean_false_rate']}")
        print(f"seal/signature flags: recall {r['seal_signature_recall']}, precision {r['seal_signature_precision']}")
        for example in r["false_examples"]:
            print("  false:", example)


if __name__ == "__main__":
    main()
