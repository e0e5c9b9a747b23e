"""Every benchmark in one run; writes docs/benchmarks.md up to its hand-run part.

    .venv/bin/python -m bench.run_all [--quick] [--out docs/benchmarks.md]

Prepares a benchmark installation in bench/out/data (the small bundled chat model provisioned, the
bundled corpus ingested; both kept between runs), then runs, each in its own process so memory
figures are its own: bench.embed (embedding backends), bench.ingest (pipeline vs encoder),
bench.search_latency (at each corpus size), bench.serve (answers through the API vs llama.cpp
direct) and bench.load (concurrent clients against a real server). A step that fails is reported in
the document and the others still run. ``--quick`` shrinks every step (samples, sizes, request
counts) to finish in minutes; the document says which mode made it. What follows ``HAND_RUN_MARK`` in
the document (benchmarks run by hand, e.g. bench.answer_speed, bench.ingest_many) is kept as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SMALL_MODEL = "qwen2.5-coder-0.5b-instruct"
HAND_RUN_MARK = "<!-- Hand-run benchmarks below: bench.run_all rewrites what is above this line and keeps the rest. -->"


@dataclass(frozen=True)
class Plan:
    embed: list[str]
    ingest_records: int
    search_sizes: list[int]
    search_base: int
    search_queries: int
    serve: list[str]
    load_requests: int
    audit: list[str]


QUICK = Plan(
    embed=["--rounds", "1", "--records", "20"],
    ingest_records=30,
    search_sizes=[1000, 20_000],
    search_base=200,
    search_queries=20,
    serve=["--questions", "2", "--clients", "2", "--max-tokens", "16"],
    load_requests=16,
    audit=["--searches", "60", "--answers", "4"],
)
FULL = Plan(
    embed=["--rounds", "2", "--records", "300"],
    ingest_records=2262,
    search_sizes=[1000, 20_000, 100_000],
    search_base=1000,
    search_queries=60,
    serve=["--questions", "4", "--clients", "4", "--max-tokens", "64"],
    load_requests=64,
    audit=["--searches", "300", "--answers", "16"],
)


@dataclass
class Step:
    name: str
    seconds: float
    output: str
    error: str | None = None

    def json(self) -> Any:
        return json.loads(self.output.strip().splitlines()[-1]) if not self.error else None


def run(name: str, command: list[str], env: dict[str, str]) -> Step:
    print(f"[bench] {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        print(f"[bench] {name} failed:\n{tail}", file=sys.stderr, flush=True)
        return Step(name, seconds, done.stdout, error=tail or f"exit status {done.returncode}")
    return Step(name, seconds, done.stdout)


def prepare(env: dict[str, str]) -> list[Step]:
    assistant = [sys.executable, "-m", "assistant.cli"]
    return [
        run("provision", [*assistant, "models", "provision", "--only", SMALL_MODEL], env),
        run("ingest corpus", [*assistant, "ingest", "policy_corpus", "--quiet"], env),
    ]


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"


def section(step: Step, title: str) -> list[str]:
    lines = [f"## {title}", ""]
    if step.error:
        lines += [f"Failed after {step.seconds:.0f} s:", "", "```", step.error, "```", ""]
    return lines


def ingest_section(step: Step) -> list[str]:
    lines = section(step, "Ingest: pipeline vs encoder")
    if step.error:
        return lines
    r = step.json()
    lines += [
        f"Embedding backend `{r['embedding_backend']}`. The catalogue is a sample of its first "
        f"{r['catalogue_records']} records (of 2262).",
        "",
        "| corpus | chunks | pipeline chunks/s | encoder alone chunks/s | encoder share of pipeline time |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in ("seeds", "catalogue"):
        if name in r:
            c = r[name]
            lines.append(
                f"| {name} | {c['chunks']} | {c['pipeline_chunks_per_s']} | {c['encoder_chunks_per_s']} "
                f"| {c['encoder_share']:.0%} |"
            )
    return [*lines, "", f"Peak memory of the ingest process: {r['peak_rss_mib']} MiB.", ""]


def search_section(steps: list[Step]) -> list[str]:
    lines = [
        "## Search latency (embedded store, query embedding included)",
        "",
        "`Searcher.search` end to end (normalise, embed the query, hybrid search, evidence decision, neighbour",
        "context) over stores of synthetic catalogue passages, after `optimize`; `store alone` is the Qdrant",
        "Edge query with precomputed query vectors.",
        "",
        "| chunks | search p50 ms | search p95 ms | store alone p50 ms | store alone p95 ms | write s | index s "
        "| disk MiB | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step in steps:
        if step.error:
            lines.append(f"| {step.name} | failed: {step.error.splitlines()[-1]} | | | | | | | |")
            continue
        r = step.json()
        s, o = r["search"], r["store_only"]
        lines.append(
            f"| {r['chunks']} | {s['p50_ms']} | {s['p95_ms']} | {o['p50_ms']} | {o['p95_ms']} | {r['write_s']} "
            f"| {r['optimize_s']} | {r['disk_mib']} | {r['peak_rss_mib']} |"
        )
    ok = [step.json() for step in steps if not step.error]
    if ok:
        lines += ["", f"{ok[0]['queries']} questions per size; {ok[0]['base']} distinct passages embedded per size."]
    return [*lines, ""]


def growth_section(steps: list[Step]) -> list[str]:
    ok = [step.json() for step in steps if not step.error]
    lines = ["## How cost grows", ""]
    if len(ok) < 2:
        return [*lines, "Needs two search sizes; see the failures above.", ""]
    small, large = ok[0], ok[-1]

    figures = [
        ("search p50 (end to end), ms", lambda r: r["search"]["p50_ms"]),
        ("search p95 (end to end), ms", lambda r: r["search"]["p95_ms"]),
        ("store query p50, ms", lambda r: r["store_only"]["p50_ms"]),
        ("write time, s", lambda r: r["write_s"]),
        ("index build time, s", lambda r: r["optimize_s"]),
        ("disk, MiB", lambda r: r["disk_mib"]),
        ("peak memory of the process, MiB", lambda r: r["peak_rss_mib"]),
    ]

    def ratio(get: Any) -> str:
        return f"{get(large) / get(small):.2f}x" if get(small) else "n/a (nothing to index at the small size)"

    lines += [
        f"From {small['chunks']} to {large['chunks']} chunks ({large['chunks'] / small['chunks']:.0f}x the corpus):",
        "",
        f"| figure | {small['chunks']} chunks | {large['chunks']} chunks | ratio |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {name} | {get(small)} | {get(large)} | {ratio(get)} |" for name, get in figures],
        "",
    ]
    return lines


def load_section(step: Step) -> list[str]:
    lines = section(step, "Load: concurrent clients mixing search and ask")
    if step.error:
        return lines
    r = step.json()
    lines += [
        f"A real `assistant serve` on loopback, model `{r['model']}` (max_tokens {r['max_tokens']}), every 4th",
        "request an answer, the rest searches; 429 is the generation queue's deliberate back-pressure.",
        "",
        "| clients | requests | throughput req/s | search p50 / p95 ms | ask p50 / p95 ms | 429 | errors "
        "| server peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in r["levels"]:
        search = level.get("search", {})
        ask = level.get("ask", {})
        lines.append(
            f"| {level['clients']} | {level['requests']} | {level['throughput_rps']} "
            f"| {search.get('p50_ms', '-')} / {search.get('p95_ms', '-')} | {ask.get('p50_ms', '-')} / "
            f"{ask.get('p95_ms', '-')} | {level['queue_full_429']} | {level['errors']} "
            f"| {level['server_peak_rss_mib']} |"
        )
    return [*lines, ""]


def audit_section(step: Step) -> list[str]:
    lines = section(step, "Audit log: its cost on search and answer latency")
    if step.error:
        return lines
    r = step.json()
    lines += [
        f"`bench.audit_overhead` on {r['database']}: one server, requests alternating between the product as it runs",
        "(every search and answer logged through the audit writer) and an audit log that records nothing.",
        f"One `record()` call costs {r['record_call_us']} µs on the request's thread. Target: with ≤ 1.05 × without.",
        "",
        "| request | per arm | with p50 / p95 ms | without p50 / p95 ms | ratio p50 | ratio p95 | paired median |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("search", "ask"):
        k = r[kind]
        lines.append(
            f"| {kind} | {k['requests_per_arm']} | {k['with']['p50_ms']} / {k['with']['p95_ms']} "
            f"| {k['without']['p50_ms']} / {k['without']['p95_ms']} | {k['p50_ratio']} | {k['p95_ratio']} "
            f"| {k['paired_median_ratio']} |"
        )
    return [*lines, "", "Within the target." if r["within_target"] else "**Over the 5% target.**", ""]


def text_section(step: Step, title: str, what: str) -> list[str]:
    lines = section(step, title)
    if not step.error:
        lines += [what, "", "```", step.output.strip(), "```", ""]
    return lines


def hand_run_part(document: Path) -> str:
    """The document's part from ``HAND_RUN_MARK`` on (the mark alone when there is none yet)."""
    old = document.read_text(encoding="utf-8") if document.exists() else ""
    at = old.find(HAND_RUN_MARK)
    return old[at:] if at >= 0 else HAND_RUN_MARK + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small samples and sizes: minutes, not hours")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL

    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(REPO / "bench" / "out" / "data"),
        "ASSISTANT_LLM_MODEL": SMALL_MODEL,
        "ASSISTANT_LLM_MAX_TOKENS": os.environ.get("ASSISTANT_LLM_MAX_TOKENS", "32"),
    }
    env.pop("ASSISTANT_API_KEYS", None)
    env.pop("ASSISTANT_QDRANT_URL", None)
    started, at_start = time.perf_counter(), machine()
    setup = prepare(env)
    python = [sys.executable, "-m"]
    embed = run("embed", [*python, "bench.embed", *plan.embed], env)
    ingest = run("ingest", [*python, "bench.ingest", "--records", str(plan.ingest_records), "--json"], env)
    searches = [
        run(
            f"search {size}",
            [*python, "bench.search_latency", "--chunks", str(size), "--base", str(plan.search_base)]
            + ["--queries", str(plan.search_queries), "--json"],
            env,
        )
        for size in plan.search_sizes
    ]
    serve = run("serve", [*python, "bench.serve", *plan.serve], env)
    load = run("load", [*python, "bench.load", "--requests", str(plan.load_requests), "--json"], env)
    audit = run("audit overhead", [*python, "bench.audit_overhead", *plan.audit, "--json"], env)

    steps = [*setup, embed, ingest, *searches, serve, load, audit]
    lines = [
        "# Benchmarks",
        "",
        f"Made by `python -m bench.run_all{' --quick' if args.quick else ''}` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, in {(time.perf_counter() - started) / 60:.0f} min.",
        f"Machine: {at_start} at the start, {os.getloadavg()[0]:.1f} at the end. The machine is shared with",
        "other work, so absolute times are noisy; the ratios within one run are the figures to compare.",
        "",
        *(["**Quick mode**: small samples and sizes (see bench/run_all.py `QUICK`).", ""] if args.quick else []),
        *[f"Setup step `{s.name}` failed: {s.error}" for s in setup if s.error],
        *text_section(embed, "Embedding backends", "`bench.embed`: the same passages through each backend."),
        *ingest_section(ingest),
        *search_section(searches),
        *growth_section(searches),
        *text_section(
            serve, "Answers: through the API vs llama.cpp direct", "`bench.serve`: first token, decode speed."
        ),
        *load_section(load),
        *audit_section(audit),
        "## Steps",
        "",
        "| step | seconds | result |",
        "| --- | ---: | --- |",
        *[f"| {s.name} | {s.seconds:.0f} | {'failed' if s.error else 'ok'} |" for s in steps],
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n" + hand_run_part(args.out), encoding="utf-8")
    print(f"[bench] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
