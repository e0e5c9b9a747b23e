"""What a pre-check finds: each finding has a kind, a severity and the basis it rests on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]  # error: needs 补正; warning: staff should look; info: a note
FindingKind = Literal[
    "missing",  # a required material is not among the uploads
    "bad_identifier",  # a 身份证号 or 统一社会信用代码 fails its checksum
    "mismatch",  # the form's name or number differs from the certificate's
    "expired",  # a validity period has ended
    "expires_before_decision",  # a validity period ends before the decision is due
    "blank",  # a blank page or file
    "unreadable",  # a scanned page read with too little confidence
    "duplicate",  # the same file or page twice
    "not_document",  # an image with no text where a document is expected
    "unreadable_file",  # a file that cannot be opened (empty, encrypted, damaged, too large, wrong type)
    "not_required",  # 行政许可法 §31: a material the item does not ask for
    "seal_signature",  # a seal or signature the staff must check by eye
    "acceptance_condition",  # a 受理条件 to check, with the passages it comes from
]
# Kinds a 补正告知书 asks the applicant to fix; the others are notes for staff.
CORRECTABLE: frozenset[str] = frozenset(
    {"missing", "bad_identifier", "mismatch", "expired", "expires_before_decision", "blank", "unreadable",
     "duplicate", "not_document", "unreadable_file"}
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    severity: Severity
    message: str
    basis: str
    material: str | None = None  # the file it is about
    slot_index: int | None = None  # the checklist slot it is about
    page: int | None = None
    citations: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = list(self.citations)
        return data
