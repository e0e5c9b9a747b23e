"""Serving overhead and concurrency of the HTTP API, measured in one run.

1. Time to first token (TTFT) and decode speed of the same prompts generated (a) through the API
   (`POST /v1/ask`, streamed, server in a subprocess) and (b) by llama-cpp-python called directly,
   with the same model file, threads, context and max_tokens. The prompt of each question is the one
   the answer service builds (same retrieval, same passages), rendered by the GGUF's chat template.
2. N concurrent clients asking at once: every request must succeed (they queue for the one model);
   the latency distribution is reported. Then the same clients search (every seed question once).

Uses the installation the ASSISTANT_* environment describes (data dir with the corpus ingested and
the model provisioned). Example:

    ASSISTANT_DATA_DIR=data ASSISTANT_LLM_MODEL=qwen2.5-coder-0.5b-instruct \\
        .venv/bin/python bench/serve.py --questions 4 --clients 4 --max-tokens 64
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from assistant.answer.prompts import plan_answer_prompt
from assistant.answer.service import LABEL_LINE
from assistant.components import Components
from assistant.config import Settings, get_settings
from assistant.models.llama_cpp_llm import PROMPT_BATCH_TOKENS, model_defaults
from assistant.models.llm import Message
from assistant.models.provision import resolve_gguf

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "eval" / "seeds_qa.jsonl"


@dataclass
class Timing:
    ttft: float  # seconds from the request to the first generated piece
    chars: int  # characters generated after the first piece: the API may merge pieces, text is text
    decode_seconds: float  # from the first piece to the last


Piece = tuple[float, str]  # when a piece of text arrived, the text


def timing(started: float, pieces: list[Piece]) -> Timing:
    if not pieces:
        raise RuntimeError("nothing was generated")
    return Timing(pieces[0][0] - started, sum(len(text) for _, text in pieces[1:]), pieces[-1][0] - pieces[0][0])


def decode_rate(runs: list[Timing]) -> float:
    """Characters per second after the first piece, over all runs together."""
    return sum(t.chars for t in runs) / sum(t.decode_seconds for t in runs)


def model_pieces(pieces: list[Piece]) -> list[Piece]:
    """A streamed answer's pieces without the AI label the service appends (alone or joined to the last piece)."""
    if pieces and pieces[-1][1].endswith(LABEL_LINE):
        last_time, last_text = pieces[-1]
        rest = last_text[: -len(LABEL_LINE)]
        return pieces[:-1] + [(last_time, rest)] if rest else pieces[:-1]
    return pieces


def all_questions() -> list[str]:
    return [json.loads(line)["q"] for line in SEEDS.read_text(encoding="utf-8").splitlines()]


def answer_prompts(settings: Settings, asked: list[str]) -> list[list[Message]]:
    """The chat messages the answer service would send the model for each question (store released after)."""
    components = Components(settings)
    try:
        plans = []
        for question in asked:
            results = components.searcher.search(question).results[: settings.answer_passages]
            plan = plan_answer_prompt(
                question, results, components.llm, settings.llm_max_tokens, settings.answer_passage_sentences
            )
            plans.append(plan.messages)
        return plans
    finally:
        components.close()


def direct_timing(llama: object, messages: list[Message], max_tokens: int) -> Timing:
    started = time.perf_counter()
    pieces = []
    for chunk in llama.create_chat_completion(  # type: ignore[attr-defined]
        messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
    ):
        if text := chunk["choices"][0]["delta"].get("content"):
            pieces.append((time.perf_counter(), text))
    return timing(started, pieces)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, line.removeprefix("data: ")


def api_timing(client: httpx.Client, question: str) -> Timing:
    """Streamed /v1/ask, the model's pieces (not the AI label the service appends)."""
    started = time.perf_counter()
    pieces = []
    with client.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
        response.raise_for_status()
        for name, data in sse_events(response):
            if name == "token":
                pieces.append((time.perf_counter(), json.loads(data)["token"]))
            elif name == "error":
                raise RuntimeError(f"the stream failed: {data}")
    return timing(started, model_pieces(pieces))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: Settings, port: int, queue_size: int, code: Path | None = None) -> subprocess.Popen:
    """``assistant serve`` in a subprocess, from the checkout ``code`` (default: the current directory's)."""
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_LLM_MAX_TOKENS": str(settings.llm_max_tokens),
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
        "ASSISTANT_GENERATION_QUEUE_SIZE": str(queue_size),
        "ASSISTANT_GENERATION_QUEUE_TIMEOUT": "3600",
    }
    env.pop("ASSISTANT_API_KEYS", None)
    command = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if code:  # `python -m` puts the working directory first on the path
        env["PYTHONPATH"] = str(code.resolve())
    server = subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {server.stderr.read() if server.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not become ready in 300 s")


@dataclass
class Load:
    latencies: list[float]
    statuses: list[int]
    wall: float

    def report(self, what: str, clients: int) -> str:
        errors = sum(s != 200 for s in self.statuses)
        return (
            f"{what}: {len(self.statuses)} requests from {clients} concurrent clients in {self.wall:.1f} s, "
            f"statuses {sorted(set(self.statuses))}, errors {errors}\n  latency (s): {summary(self.latencies)}"
        )


def concurrent_load(base_url: str, path: str, bodies: list[dict], clients: int) -> Load:
    def one(body: dict) -> tuple[float, int]:
        started = time.perf_counter()
        response = httpx.post(f"{base_url}{path}", json=body, timeout=3600)
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, bodies))
    return Load([r[0] for r in results], [r[1] for r in results], time.perf_counter() - started)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"min {ordered[0]:.2f}  median {statistics.median(ordered):.2f}  p90 {p90:.2f}  max {ordered[-1]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=4, help="measured questions (plus one warm-up)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the load phase")
    parser.add_argument("--max-tokens", type=int, help="answer length (default: ASSISTANT_LLM_MAX_TOKENS)")
    args = parser.parse_args()

    settings = get_settings()
    if args.max_tokens:
        settings = settings.model_copy(update={"llm_max_tokens": args.max_tokens})
    asked = all_questions()[: args.questions + 1]
    prompts = answer_prompts(settings, asked)

    from llama_cpp import Llama

    threads = settings.llm_threads
    with model_defaults(use_extra_bufts=settings.llm_cpu_repack):  # the same load options as the product
        llama = Llama(
            model_path=str(resolve_gguf(settings)),
            n_ctx=settings.llm_context,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=PROMPT_BATCH_TOKENS,
            verbose=False,
        )
    port = free_port()
    server = start_server(settings, port, queue_size=args.clients)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=3600) as client:
            api_timing(client, asked[0])  # warm-up of both, not measured
            direct_timing(llama, prompts[0], settings.llm_max_tokens)
            api, direct = [], []
            for question, messages in zip(asked[1:], prompts[1:], strict=True):
                api.append(api_timing(client, question))
                direct.append(direct_timing(llama, messages, settings.llm_max_tokens))
        asks = concurrent_load(
            base_url, "/v1/ask", [{"question": asked[i % len(asked)]} for i in range(args.clients)], args.clients
        )
        searches = concurrent_load(base_url, "/v1/search", [{"query": q} for q in all_questions()], args.clients)
    finally:
        server.terminate()
        server.wait(30)

    print(
        f"model {resolve_gguf(settings).name}, {threads} threads, max_tokens {settings.llm_max_tokens}, "
        f"{len(api)} questions, characters per answer after the first piece {[t.chars for t in api]} "
        f"(direct: {[t.chars for t in direct]})"
    )
    for name, runs in (("API", api), ("direct", direct)):
        ttfts, decodes = [round(t.ttft, 2) for t in runs], [round(t.decode_seconds, 2) for t in runs]
        print(f"  {name:6} TTFT s {ttfts}  decode s {decodes}  decode speed {decode_rate(runs):.1f} characters/s")
    # Each question ran through the API and directly back to back: the median of the per-question ratios
    # is robust to a burst of other load on the machine during one of the pairs.
    ttft_ratio = statistics.median(a.ttft / d.ttft for a, d in zip(api, direct, strict=True))
    rate_ratio = statistics.median(d.decode_seconds / a.decode_seconds for a, d in zip(api, direct, strict=True))
    print(f"API/direct, median over questions: time to first token {ttft_ratio:.3f}, decode speed {rate_ratio:.3f}")
    print(asks.report("asks", args.clients))
    print(searches.report("searches", args.clients))
    return 0 if all(s == 200 for s in asks.statuses + searches.statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
