"""Pre-check speed against rapidocr alone on the same pages, in one run (a ratio, not a timed test).

    python -m bench.precheck_speed --packages 2

For each generated package (clean and defective, dev items), the same scanned pages go through rapidocr's
own call (``RapidOCR()(image_bytes)``: decode, detect, classify, recognise) and the whole pre-check
(reading every file, OCR with page-turn correction, slotting, every check, the report), alternately, so
both see the same machine load. Reported: seconds per case, pages per second, and the pre-check's
overhead beyond OCR, ``(precheck - ocr_alone) / ocr_alone`` (target ≤ 15%). Retrieval of 受理条件 is
left out (no store): it is one search per case, measured in bench/search_latency.py.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import PurePath

from assistant.config import get_settings
from assistant.precheck.reading import IMAGE_SUFFIXES
from assistant.precheck.service import PrecheckService
from bench.precheck_eval import packages
from bench.precheck_packages import Package


def scanned_pages(package: Package) -> list[bytes]:
    """The images the pre-check has to OCR: image files and the page images of PDFs without a text layer."""
    from pypdf import PdfReader

    pages: list[bytes] = []
    for material in package.materials:
        suffix = PurePath(material.name).suffix.lower()
        if suffix in IMAGE_SUFFIXES and material.data:
            pages.append(material.data)
        elif suffix == ".pdf":
            try:
                reader = PdfReader(io.BytesIO(material.data))
                if reader.is_encrypted:
                    continue
                for page in reader.pages:
                    if len((page.extract_text() or "").strip()) < 4:
                        pages.extend(image.data for image in page.images)
            except Exception:  # a damaged PDF has no pages to read, for either side
                continue
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=2, help="packages per dev item")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from rapidocr_onnxruntime import RapidOCR

    settings = get_settings()
    service = PrecheckService(settings)
    threads = settings.precheck_ocr_threads or -1
    engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads)
    cases = packages("dev", args.packages)
    # Warm both up (model loading is not what is measured).
    engine(scanned_pages(cases[0])[0])
    service.run(cases[0].rules, cases[0].form, cases[0].materials, cases[0].decision_due, cases[0].today)
    ocr_seconds = precheck_seconds = 0.0
    ocr_pages = all_pages = 0
    for n, case in enumerate(cases):
        images = scanned_pages(case)
        for first in ("ocr", "precheck") if n % 2 == 0 else ("precheck", "ocr"):
            started = time.perf_counter()
            if first == "ocr":
                for image in images:
                    engine(image)
                ocr_seconds += time.perf_counter() - started
            else:
                report = service.run(case.rules, case.form, case.materials, case.decision_due, case.today)
                precheck_seconds += time.perf_counter() - started
                all_pages += int(report.meta["pages"])
        ocr_pages += len(images)
    result = {
        "cases": len(cases),
        "pages": all_pages,
        "scanned_pages": ocr_pages,
        "ocr_alone_seconds": round(ocr_seconds, 2),
        "precheck_seconds": round(precheck_seconds, 2),
        "seconds_per_case": round(precheck_seconds / len(cases), 2),
        "pages_per_second": round(all_pages / precheck_seconds, 3),
        "ocr_alone_pages_per_second": round(ocr_pages / ocr_seconds, 3),
        "overhead_beyond_ocr": round((precheck_seconds - ocr_seconds) / ocr_seconds, 3),
    }
    print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
