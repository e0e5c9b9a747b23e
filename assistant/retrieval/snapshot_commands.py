"""The `assistant snapshot create|restore` subcommands, registered into the `assistant` command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.config import Settings, get_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"collection": args.collection}) if args.collection else settings


def cmd_snapshot_create(args: argparse.Namespace) -> int:
    from assistant.retrieval.snapshot import create_snapshot

    manifest = create_snapshot(_settings(args), Path(args.folder))
    if args.json:
        print(json.dumps(vars(manifest), ensure_ascii=False, indent=2))
    else:
        print(
            f"snapshot of {manifest.collection} ({manifest.engine}): {manifest.documents} documents, "
            f"{manifest.chunks} chunks -> {args.folder}"
        )
    return 0


def cmd_snapshot_restore(args: argparse.Namespace) -> int:
    from assistant.retrieval.snapshot import restore_snapshot

    restored = restore_snapshot(_settings(args), Path(args.folder))
    if args.json:
        print(json.dumps({**vars(restored), "manifest": vars(restored.manifest)}, ensure_ascii=False, indent=2))
    else:
        print(
            f"restored {restored.collection} from {args.folder} (taken {restored.manifest.created_at}): "
            f"{restored.documents} documents, {restored.chunks} chunks"
        )
    return 0


def add_snapshot_commands(subparsers: Any) -> None:
    """Register ``snapshot create|restore`` on the top-level subparsers of ``build_parser``."""
    help_ = "Back up or restore the corpus with Qdrant snapshots"
    snapshot = subparsers.add_parser("snapshot", help=help_, description=help_)
    actions = snapshot.add_subparsers(dest="snapshot_command", required=True)

    for name, handler, text in (
        (
            "create",
            cmd_snapshot_create,
            "Write a snapshot of the collection and its document records into a new folder. The embedded "
            "store must not be open elsewhere (stop `assistant serve` first); a Qdrant server keeps serving.",
        ),
        (
            "restore",
            cmd_snapshot_restore,
            "Replace the collection and its document records with a snapshot's, then check the counts. "
            "The embedded store must not be open elsewhere.",
        ),
    ):
        p = actions.add_parser(name, help=text.split(". ")[0], description=text)
        p.set_defaults(handler=handler)
        p.add_argument("folder", help="snapshot folder")
        p.add_argument("--collection", help="collection name (default: settings)")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
