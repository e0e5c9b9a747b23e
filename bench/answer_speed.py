"""How long a citizen waits, and how good the answer is: streamed /v1/ask over eval/answer_qa.jsonl.

Per question, through a real `assistant serve` on loopback: the time to the sources and the "政策原文"
excerpt, to the first token, to the whole answer; and the answer's quality (the question's key facts
found in it, each found fact in a cited passage, what the faithfulness check repaired, and what the
check still finds in the final text: for a server without the check, what it would have had to repair). Then the same
prompts (the passages the service chose, rendered by the GGUF's chat template) decoded by
llama-cpp-python directly with plain greedy decoding, to compare decoding speed in one run: characters
per second after the first piece (the API sends pieces that come together as one event).

``--code DIR`` runs the server from another checkout (e.g. main, for "before"); the server's settings come
from the ASSISTANT_* environment plus ``--set NAME=VALUE``. Example:

    ASSISTANT_DATA_DIR=/tmp/data .venv/bin/python -m bench.answer_speed --set LLM_PROMPT_LOOKUP=10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.answer.citations import normalise_markers
from assistant.answer.faithfulness import review_answer
from assistant.answer.types import AI_LABEL
from assistant.config import get_settings
from assistant.models.llama_cpp_llm import PROMPT_BATCH_TOKENS, model_defaults
from assistant.models.provision import resolve_gguf
from bench.serve import (
    Piece,
    Timing,
    answer_prompts,
    direct_timing,
    free_port,
    model_pieces,
    sse_events,
    start_server,
    timing,
)

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "eval" / "answer_qa.jsonl"
_LOOSE = re.compile(r"[\s()（）个]")


@dataclass
class Asked:
    q: str
    keys: list[str]
    kind: str
    split: str
    sources: float = 0.0  # seconds to the citations, or to the excerpt when the server sends one
    first_token: float = 0.0
    whole: float = 0.0
    chars: int = 0  # of the model's text after its first piece
    decode_seconds: float = 0.0
    answered_by: str = "model"
    answer: str = ""
    cited: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # kinds
    left: list[str] = field(default_factory=list)  # what the check finds in the final text (before: unchecked)

    @property
    def found(self) -> list[bool]:
        return [_loose(k) in _loose(self.answer) for k in self.keys]

    @property
    def cited_right(self) -> list[bool]:
        """Each key the answer states is in a passage it cites."""
        return [_loose(k) in _loose("\n".join(self.cited)) for k, hit in zip(self.keys, self.found, strict=True) if hit]


def _loose(text: str) -> str:
    """Compared without spaces, brackets and 个: "7(工作日)" and "7个工作日" are one fact."""
    return _LOOSE.sub("", text)


def ask(client: httpx.Client, row: Asked) -> None:
    started = time.perf_counter()
    pieces: list[Piece] = []
    with client.stream("POST", "/v1/ask", json={"question": row.q, "stream": True}) as response:
        response.raise_for_status()
        for name, data in sse_events(response):
            now = time.perf_counter() - started
            if name in ("citations", "excerpt"):
                row.sources = now
            elif name == "token":
                pieces.append((now, json.loads(data)["token"]))
            elif name == "done":
                answer = json.loads(data)
                row.whole = now
                row.answer = answer["answer"]
                row.cited = [c["text"] for c in answer["citations"]]
                row.answered_by = answer.get("answered_by", "none" if answer["declined"] else "model")
                row.findings = [f["kind"] for f in answer.get("findings", [])]
            elif name == "error":
                raise RuntimeError(f"the stream failed: {data}")
    if row.answered_by == "model":
        final = row.answer.replace(AI_LABEL, "").strip()
        review = review_answer(normalise_markers(final, len(row.cited)), row.cited)
        row.left = [f"{f.kind}:{f.action}" for f in review.findings]
    generated = model_pieces(pieces) if row.answered_by == "model" else pieces
    if generated:
        measured = timing(0.0, generated)
        row.first_token, row.chars, row.decode_seconds = measured.ttft, measured.chars, measured.decode_seconds
    else:
        row.first_token = row.whole


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)} if values else {}


def quality(rows: list[Asked]) -> dict[str, Any]:
    found = [hit for r in rows for hit in r.found]
    right = [ok for r in rows for ok in r.cited_right]
    return {
        "questions": len(rows),
        "keys_found": round(sum(found) / len(found), 3) if found else None,
        "found_keys_cited": round(sum(right) / len(right), 3) if right else None,
        "findings": dict(Counter(kind for r in rows for kind in r.findings)),
        "left_in_final_text": dict(Counter(kind for r in rows for kind in r.left)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--per-kind", type=int, help="only the first N questions of each kind")
    parser.add_argument("--code", type=Path, help="run the server from this checkout (default: this one)")
    parser.add_argument("--set", action="append", default=[], help="server setting NAME=VALUE (ASSISTANT_ implied)")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct llama-cpp-python decoding")
    parser.add_argument("--label", default="", help="a name for this run in the output")
    parser.add_argument("--dump", type=Path, help="write each question's answer and cited passages here (JSON)")
    args = parser.parse_args()

    rows = [Asked(**{k: r[k] for k in ("q", "keys", "kind", "split")}) for r in _read(args.questions)]
    if args.per_kind:
        taken: Counter[str] = Counter()
        rows = [r for r in rows if (taken.update([r.kind]) or taken[r.kind]) <= args.per_kind]
    extra = dict(item.split("=", 1) for item in args.set)
    for name, value in extra.items():
        os.environ[f"ASSISTANT_{name}"] = value  # the server subprocess reads them, and the prompts here
    get_settings.cache_clear()
    settings = get_settings()
    prompts = [] if args.no_direct else answer_prompts(settings, [r.q for r in rows])

    port = free_port()
    server = start_server(settings, port, queue_size=2, code=args.code)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as client:
            ask(client, Asked("算力券怎么申请？", [], "warm-up", "none"))  # loads what the first request loads
            for row in rows:
                ask(client, row)
                print(f"[{row.kind}] {row.whole:6.2f} s {row.answered_by:6} {row.q}", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait(30)

    direct: list[Timing | None] = []
    if prompts:
        from llama_cpp import Llama

        with model_defaults(use_extra_bufts=settings.llm_cpu_repack):
            llama = Llama(
                model_path=str(resolve_gguf(settings)),
                n_ctx=settings.llm_context,
                n_threads=settings.llm_threads,
                n_threads_batch=settings.llm_threads,
                n_batch=PROMPT_BATCH_TOKENS,
                flash_attn=settings.llm_flash_attention,
                verbose=False,
            )
        for row, messages in zip(rows, prompts, strict=True):
            by_model = row.answered_by == "model"
            direct.append(direct_timing(llama, messages, settings.llm_max_tokens) if by_model else None)

    by_model = [r for r in rows if r.answered_by == "model"]
    report: dict[str, Any] = {
        "label": args.label,
        "model": resolve_gguf(settings).name,
        "threads": settings.llm_threads,
        "settings": extra,
        "load_average": round(os.getloadavg()[0], 1),
        "answered_by": dict(Counter(r.answered_by for r in rows)),
        "sources_s": summary([r.sources for r in rows]),
        "first_token_s": summary([r.first_token for r in rows]),
        "whole_s": summary([r.whole for r in rows]),
        "first_token_model_s": summary([r.first_token for r in by_model]),
        "whole_model_s": summary([r.whole for r in by_model]),
        "quality": {split: quality([r for r in rows if r.split == split]) for split in ("dev", "holdout")},
    }
    pairs = [
        (r, d) for r, d in zip(rows, direct, strict=False) if d is not None and r.decode_seconds and d.decode_seconds
    ]
    if pairs:
        api_rate = sum(r.chars for r, _ in pairs) / sum(r.decode_seconds for r, _ in pairs)
        direct_rate = sum(d.chars for _, d in pairs) / sum(d.decode_seconds for _, d in pairs)
        per_question = [(r.chars / r.decode_seconds) / (d.chars / d.decode_seconds) for r, d in pairs]
        report["decode"] = {
            "api_chars_per_s": round(api_rate, 1),
            "direct_plain_chars_per_s": round(direct_rate, 1),
            "api_vs_direct_median": round(statistics.median(per_question), 2),
            "direct_first_token_s": summary([d.ttft for _, d in pairs]),
        }
    for r in rows:
        print(
            f"{r.split:7} {r.kind:9} {r.answered_by:6} src {r.sources:5.2f} first {r.first_token:5.2f} "
            f"whole {r.whole:5.2f} keys {sum(r.found)}/{len(r.keys)} findings {','.join(r.findings) or '-'} "
            f"left {','.join(r.left) or '-'}  {r.q}"
        )
    print(json.dumps(report, ensure_ascii=False))
    if args.dump:
        answers = [{"q": r.q, "answered_by": r.answered_by, "answer": r.answer, "cited": r.cited} for r in rows]
        args.dump.write_text(json.dumps(answers, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
