"""Retrieval at scale: the evaluation questions with the corpus buried among 20,000+ other passages.

    .venv/bin/python -m bench.scale [--distractors 20000] [--data-dir /tmp/scale] [--out docs/scale.md]

Distractors are assembled, not invented: sentences of the Guangdong service catalogue
(../shared/data/gd_service_items/policy.jsonl) shuffled across items and packed into passages of
80-200 characters, titled 政务服务事项汇编（第N篇）. They read like real government text on the same
topics (the hardest kind of distractor) but no distractor holds a sentence containing any key of
the evaluation sets, so a hit is always the genuine passage. The store holds the seeds, the full
catalogue and the distractors; the settings (ASSISTANT_EMBEDDING_BACKEND ...) pick the model.
Reports recall, MRR, the evidence decision and search latency (query embedding included).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from assistant.components import Components
from assistant.config import Settings
from assistant.eval.harness import evaluate, load_qa

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO.parent / "shared" / "data" / "gd_service_items" / "policy.jsonl"
EVAL_FILES = [REPO / "eval" / name for name in ("seeds_qa.jsonl", "catalogue_qa.jsonl", "catalogue_colloquial.jsonl")]
METRICS = ("questions", "recall@1", "recall@5", "recall@10", "mrr", "declined_unanswerable", "declined_answerable")
METRICS += ("latency_p50_ms", "latency_p95_ms")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[^。；;！？\n]{8,}[。；;！？]?")


def _prose(sentence: str) -> bool:
    """Mostly Chinese characters: leaves out codes, URLs and numbers-only fields."""
    return "http" not in sentence and len(_CJK.findall(sentence)) >= 0.7 * len(sentence)


def eval_keys() -> list[str]:
    keys = []
    for path in EVAL_FILES:
        keys += [k for row in load_qa(path) for k in row.keys]
    return keys


def distractors(count: int, seed: int = 13) -> list[dict[str, str]]:
    """``count`` passages of catalogue sentences shuffled across items (see the module docstring)."""
    keys = [re.sub(r"\s+", "", k) for k in eval_keys()]
    sentences = []
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for value in item.values():
            if isinstance(value, str) and len(value) > 20:
                sentences += _SENTENCE.findall(value)
    sentences = [s for s in dict.fromkeys(sentences) if _prose(s) and not any(k in re.sub(r"\s+", "", s) for k in keys)]
    rng = random.Random(seed)
    passages = []
    while len(passages) < count:
        size, parts = rng.randint(80, 200), []
        while sum(map(len, parts)) < size:
            parts.append(rng.choice(sentences))
        passages.append({"title": f"政务服务事项汇编（第{len(passages) + 1}篇）", "text": "".join(parts)[:size]})
    return passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=20000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/assistant-scale"))
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "scale.md")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    comps = Components(settings)
    records = args.data_dir / "distractors.jsonl"
    if not records.exists():
        args.data_dir.mkdir(parents=True, exist_ok=True)
        lines = (json.dumps(p, ensure_ascii=False) for p in distractors(args.distractors))
        records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    summary = comps.ingestor.ingest_paths([REPO / "policy_corpus", CATALOGUE, records])
    comps.store.optimize()
    ingest_minutes = (time.perf_counter() - started) / 60
    chunks = comps.store.count()
    lines = [
        f"# Retrieval at scale: {chunks:,} chunks",
        "",
        f"Embedding backend `{comps.embedder.name}`; corpus = seeds + service catalogue + {args.distractors:,} "
        "distractor passages (catalogue sentences shuffled across items, none holding an evaluation key; "
        "see bench/scale.py). Ingest of what was new this run: "
        f"{summary.chunks:,} chunks in {ingest_minutes:.1f} min. Latency includes query embedding.",
        "",
        "| set | questions | R@1 | R@5 | R@10 | MRR | unanswerable declined | answerable declined | p50 ms | p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    comps.searcher.search("预热")  # load the model before timing
    for path in EVAL_FILES:
        s = evaluate(comps.searcher, load_qa(path), top_k=10).summary()
        cells = [path.name, *(str(s[m]) for m in METRICS)]
        lines.append(f"| {' | '.join(cells)} |")
    comps.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
