"""Finished drafts on disk: ``DATA_DIR/drafts/ID.json`` (the structured draft) and ``ID.docx``.

Files, not memory, so every replica sharing the data volume serves every draft. Each file is written
to a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.drafting.check import Finding
from assistant.drafting.docx_export import export_docx, unverified_fonts
from assistant.drafting.draft import Draft, render_text
from assistant.drafting.service import findings_of
from assistant.errors import AssistantError

_ID = re.compile(r"^[0-9a-f]{32}$")


class DraftNotFound(AssistantError):
    """No stored draft has this id."""


@dataclass
class SavedDraft:
    """A stored draft with what is shown beside it: its text, the checker's findings, fonts not on this machine."""

    draft: Draft
    text: str
    findings: list[Finding]
    unverified_fonts: list[str]
    docx_path: Path

    def as_dict(self) -> dict[str, Any]:
        """The draft as the API and ``assistant draft new --json`` return it."""
        d = self.draft
        structured = d.as_dict()
        return {
            "id": d.id,
            "doc_type": d.doc_type,
            "title": d.title,
            "text": self.text,
            "elements": d.elements(),
            "body": structured["body"],
            "citations": structured["citations"],
            "findings": [f.as_dict() for f in self.findings],
            "repairs": d.repairs,
            "label": d.label,
            "model": d.model,
            "created_at": d.created_at,
            "unverified_fonts": self.unverified_fonts,
        }


class DraftStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "drafts"

    def save(self, draft: Draft) -> SavedDraft:
        """Export the .docx and store it with the draft's JSON."""
        exported = export_docx(draft)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / f"{draft.id}.docx", exported.data)
        data = json.dumps(draft.as_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        _write_atomically(self.root / f"{draft.id}.json", data)
        return self._saved(draft, exported.unverified_fonts)

    def load(self, draft_id: str) -> SavedDraft:
        path = self._path(draft_id, ".json")
        draft = Draft.from_dict(json.loads(path.read_text(encoding="utf-8")))
        return self._saved(draft, unverified_fonts())

    def docx_path(self, draft_id: str) -> Path:
        return self._path(draft_id, ".docx")

    def _saved(self, draft: Draft, fonts: list[str]) -> SavedDraft:
        return SavedDraft(draft, render_text(draft), findings_of(draft), fonts, self.root / f"{draft.id}.docx")

    def _path(self, draft_id: str, suffix: str) -> Path:
        path = self.root / f"{draft_id}{suffix}"
        if not _ID.match(draft_id) or not path.is_file():
            raise DraftNotFound(f"no draft with id {draft_id!r}")
        return path


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)  # replicas may run as other users of the shared volume
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
