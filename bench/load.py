"""Load test: N concurrent clients mixing search and ask against a real `assistant serve` on loopback.

    ASSISTANT_DATA_DIR=... ASSISTANT_LLM_MODEL=qwen2.5-coder-0.5b-instruct \\
        .venv/bin/python -m bench.load [--clients 1,4,16] [--requests 32] [--ask-every 4] [--json]

Uses the installation the ASSISTANT_* environment describes (corpus ingested, model provisioned).
For each N a fresh server process (rate limit off, a generation queue of ``--queue`` waiting answers)
gets ``--requests`` requests from N client threads: every ``--ask-every``-th one is `POST /v1/ask`,
the rest `POST /v1/search`, questions from eval/seeds_qa.jsonl. Reported per N: throughput, latency
per kind, statuses, errors (anything but 200, and 429 from a full generation queue, which is the
service's deliberate back-pressure) and the server's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from assistant.config import get_settings
from bench.serve import all_questions, free_port, start_server
from bench.stats import latency_ms, peak_rss_mib

REPO = Path(__file__).resolve().parent.parent


def run_level(base_url: str, clients: int, requests: list[tuple[str, str]]) -> dict[str, Any]:
    """Send ``requests`` ((kind, question) pairs) from ``clients`` threads; collect latency and status."""
    todo: queue.Queue[tuple[str, str]] = queue.Queue()
    for request in requests:
        todo.put(request)
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=600) as http:
            while True:
                try:
                    kind, question = todo.get_nowait()
                except queue.Empty:
                    return
                body = {"question": question} if kind == "ask" else {"query": question}
                started = time.perf_counter()
                try:
                    status = http.post(f"/v1/{kind}", json=body).status_code
                except httpx.HTTPError:
                    status = 0  # connection failed or timed out
                with lock:
                    results.append((kind, time.perf_counter() - started, status))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    statuses = Counter(status for _, _, status in results)
    level: dict[str, Any] = {
        "clients": clients,
        "requests": len(results),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(results) / wall, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "queue_full_429": statuses.get(429, 0),
        "errors": sum(v for k, v in statuses.items() if k not in (200, 429)),
    }
    for kind in ("search", "ask"):
        ok = [seconds for k, seconds, status in results if k == kind and status == 200]
        if ok:
            level[kind] = {"ok": len(ok), **latency_ms(ok)}
    return level


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,16", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=32, help="requests per level")
    parser.add_argument("--ask-every", type=int, default=4, help="every n-th request asks; the others search")
    parser.add_argument("--queue", type=int, default=4, help="answers that may wait for the model (more get 429)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()

    settings = get_settings()
    questions = all_questions()
    requests = [
        ("ask" if i % args.ask_every == 0 else "search", questions[i % len(questions)]) for i in range(args.requests)
    ]
    levels = []
    for clients in (int(n) for n in args.clients.split(",")):
        port = free_port()
        server = start_server(settings, port, queue_size=args.queue)
        try:
            level = run_level(f"http://127.0.0.1:{port}", clients, requests)
            level["server_peak_rss_mib"] = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        levels.append(level)
        if not args.json:
            print(json.dumps(level, ensure_ascii=False))
    if args.json:
        print(
            json.dumps(
                {"model": settings.llm_model, "max_tokens": settings.llm_max_tokens, "levels": levels},
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
