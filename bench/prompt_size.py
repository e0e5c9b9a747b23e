"""Answer quality against prompt size: how many passages, whole or cut to the sentences that match.

For each configuration (``answer_passages`` × ``answer_passage_sentences``) the answer service answers
the model-answered questions of one split of eval/answer_qa.jsonl in-process; reported are the prompt
tokens (the cost: prompt reading is most of the wait before the first token), the time to the first
token and to the whole answer, the key facts found and whether their passages are cited.

    ASSISTANT_DATA_DIR=/tmp/data .venv/bin/python -m bench.prompt_size --split dev
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from assistant.answer.field_answer import field_answer
from assistant.answer.prompts import plan_answer_prompt
from assistant.answer.service import AnswerService
from assistant.components import Components
from assistant.config import get_settings
from bench.answer_speed import QUESTIONS, Asked, _loose, _read, quality

CONFIGS = [(5, 0), (3, 0), (5, 3), (3, 3)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument(
        "--prompts-only", action="store_true", help="no generation: prompt tokens and key facts kept in the prompt"
    )
    parser.add_argument("--configs", default=",".join(f"{p}x{s}" for p, s in CONFIGS), help="passages x sentences")
    args = parser.parse_args()
    configs = [tuple(int(n) for n in c.split("x")) for c in args.configs.split(",")]
    rows = [r for r in _read(QUESTIONS) if r["split"] == args.split]

    base = get_settings()
    components = Components(base)
    results: list[dict[str, Any]] = []
    try:
        if not args.prompts_only:  # warm-up: loads the model and the system prompt's cache
            components.answerer.answer("算力券怎么申请？")
        for passages, sentences in configs:
            settings = base.model_copy(update={"answer_passages": passages, "answer_passage_sentences": sentences})
            service = AnswerService(settings, components.searcher, components.llm)
            asked, tokens, firsts, wholes, kept = [], [], [], [], []
            for row in rows:
                found = components.searcher.search(row["q"]).results
                if field_answer(row["q"], found[0]) is not None:
                    continue  # a service item's record answers it: the prompt does not matter
                found = found[:passages]
                plan = plan_answer_prompt(row["q"], found, components.llm, settings.llm_max_tokens, sentences)
                if args.prompts_only:
                    prompt = _loose(plan.messages[-1]["content"])
                    tokens.append(plan.prompt_tokens)
                    kept += [_loose(k) in prompt for k in row["keys"]]
                    continue
                started = time.perf_counter()
                first = None
                for event in service.stream(row["q"]):
                    if event.type == "token" and first is None:
                        first = time.perf_counter() - started
                    elif event.type == "done" and event.answer is not None:
                        answer = event.answer
                if answer.answered_by != "model":
                    continue
                wholes.append(time.perf_counter() - started)
                firsts.append(first or wholes[-1])
                tokens.append(plan.prompt_tokens)
                item = Asked(row["q"], row["keys"], row["kind"], row["split"], answered_by="model")
                item.answer, item.cited = answer.answer, [c.text for c in answer.citations]
                item.findings = [f.kind for f in answer.findings]
                asked.append(item)
                print(f"{passages}x{sentences} {wholes[-1]:6.1f} s keys {sum(item.found)}/{len(item.keys)} {row['q']}",
                      file=sys.stderr, flush=True)  # fmt: skip
            if args.prompts_only:
                results.append(
                    {
                        "passages": passages,
                        "sentences": sentences,
                        "prompt_tokens_mean": round(statistics.mean(tokens)),
                        "keys_in_prompt": round(sum(kept) / len(kept), 3),
                    }
                )
                print(json.dumps(results[-1], ensure_ascii=False), flush=True)
                continue
            results.append(
                {
                    "passages": passages,
                    "sentences": sentences,
                    "prompt_tokens_mean": round(statistics.mean(tokens)),
                    "first_token_median_s": round(statistics.median(firsts), 2),
                    "whole_median_s": round(statistics.median(wholes), 2),
                    **quality(asked),
                }
            )
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    finally:
        components.close()
    print(json.dumps({"split": args.split, "model": base.llm_model, "results": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
