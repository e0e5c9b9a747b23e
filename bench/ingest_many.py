"""Ingest throughput on many small files: one statute article per file, against the bare encoder.

    .venv/bin/python -m bench.ingest_many [--files 10000] [--out bench/out/ingest_many] [--json]

Generates ``--files`` small .txt files (the statute's title on the first line, one article below it)
from the law library mirror (bench/laws.py; read outside git, never committed), or, without a mirror,
from the paragraphs of policy_corpus/ under generated headlines. Then ``bench.ingest.measure``:
the whole pipeline into a fresh embedded store, then the same chunk texts through the encoder alone.
The last line is ``ratio vs encoder: <x>``, the pipeline's chunks/s over the encoder's (target ≥ 0.85).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from assistant.components import Components
from assistant.config import get_settings
from bench.ingest import measure
from bench.laws import NoLawLibrary, articles, export
from bench.stats import scratch_settings

REPO = Path(__file__).resolve().parent.parent
LAW_FOLDERS = ["行政法规", "行政法", "经济法", "社会法", "民法商法", "宪法相关法", "部门规章"]


def generate(count: int, folder: Path) -> tuple[list[Path], str]:
    """``count`` small files under ``folder`` and what they were made from."""
    files = folder / "files"
    files.mkdir(parents=True)
    try:
        texts = [f"{a.law}\n{a.text}" for path in export(LAW_FOLDERS, folder / "laws") for a in articles(path, "")]
        origin = "statute articles of the law library mirror"
    except NoLawLibrary:
        lines = [line.strip() for f in sorted((REPO / "policy_corpus").glob("*.txt")) for line in f.open()]
        paragraphs = [line for line in lines if len(line) > 30]
        texts = [f"政策要点第{i + 1}则\n{paragraphs[i % len(paragraphs)]}" for i in range(count)]
        origin = "policy_corpus paragraphs (no law library mirror)"
    written = []
    for i, text in enumerate(texts[:count]):
        path = files / f"{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written, origin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000, help="small files generated and ingested")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ingest_many", help="scratch folder")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    files, origin = generate(args.files, args.out / "corpus")
    components = Components(scratch_settings(get_settings(), args.out / "data"))
    try:
        result = {"files": len(files), "made_from": origin, **measure(components, [files[0].parent])}
    finally:
        components.close()
    result["ratio_vs_encoder"] = round(result["pipeline_chunks_per_s"] / result["encoder_chunks_per_s"], 3)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    print(f"ratio vs encoder: {result['ratio_vs_encoder']}")


if __name__ == "__main__":
    main()
