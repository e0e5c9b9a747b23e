"""The states of a case and the actions that move it, each allowed to some roles.

States and actions are English identifiers in code, the database and the API; ``STATE_LABELS`` and
``ACTION_LABELS`` give the Chinese words shown to people. The flow (行政许可法 §§32-45):

    submitted ─start_prereview→ prereview ─accept→ accepted ─start_review→ review ─decide→ decided ─complete→ completed
                                  │  │                                      │  ↑
          correction ←request_correction  └reject→ rejected        start_special  end_special
          (applicant resubmits → prereview)                                 ↓  │
                                                                          special (clock paused)

``withdraw`` (撤回) ends any case not yet decided; ``extend`` (延期, +10 working days, once, by an
approver) and ``assign`` (department and staff member) leave the state as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

State = Literal[
    "submitted", "prereview", "correction", "rejected", "accepted", "review", "special", "decided", "completed",
    "withdrawn",
]  # fmt: skip
STATES: tuple[State, ...] = get_args(State)
STATE_LABELS: dict[str, str] = {
    "submitted": "已提交",
    "prereview": "预审",
    "correction": "补正",
    "rejected": "不予受理",
    "accepted": "受理",
    "review": "审查",
    "special": "特别程序",
    "decided": "决定",
    "completed": "办结",
    "withdrawn": "撤回",
}
FINAL_STATES: frozenset[str] = frozenset({"rejected", "completed", "withdrawn"})
CaseRole = Literal["applicant", "staff", "admin"]
CASE_ROLES: tuple[CaseRole, ...] = get_args(CaseRole)
SPECIAL_PROCEDURES = ("听证", "检验", "检测", "鉴定", "专家评审")  # 行政许可法 §45: their time does not count
OUTCOMES = {"approved": "准予许可", "denied": "不予许可"}
EXTENSION_DAYS = 10  # 行政许可法 §42: once, by the head of the administrative organ


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state stays as it is
    roles: frozenset[str]


def _action(name: str, label: str, sources: set[str] | str, target: str | None, roles: set[str]) -> Action:
    return Action(name, label, frozenset({sources} if isinstance(sources, str) else sources), target, frozenset(roles))


_STAFF = {"staff", "admin"}
_UNDECIDED = {"submitted", "prereview", "correction", "accepted", "review", "special"}
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _action("start_prereview", "开始预审", "submitted", "prereview", _STAFF),
        _action("accept", "受理", "prereview", "accepted", _STAFF),
        _action("request_correction", "一次性告知补正", "prereview", "correction", _STAFF),
        _action("resubmit", "补正后重新提交", "correction", "prereview", {"applicant", *_STAFF}),
        _action("reject", "不予受理", "prereview", "rejected", _STAFF),
        _action("start_review", "开始审查", "accepted", "review", _STAFF),
        _action("start_special", "进入特别程序", "review", "special", _STAFF),
        _action("end_special", "特别程序结束", "special", "review", _STAFF),
        _action("decide", "作出决定", "review", "decided", _STAFF),
        _action("complete", "办结", "decided", "completed", _STAFF),
        _action("withdraw", "撤回申请", _UNDECIDED, "withdrawn", {"applicant", *_STAFF}),
        _action("extend", "延期", {"accepted", "review", "special"}, None, {"admin"}),
        _action("assign", "分派", _UNDECIDED | {"decided"}, None, _STAFF),
    )
}
ACTION_LABELS = {a.name: a.label for a in ACTIONS.values()}


def workflow() -> dict[str, object]:
    """The states and actions with their labels, sources, targets and roles (for screens and clients)."""
    return {
        "states": [{"state": s, "label": STATE_LABELS[s], "final": s in FINAL_STATES} for s in STATES],
        "actions": [
            {"action": a.name, "label": a.label, "from": sorted(a.sources), "to": a.target, "roles": sorted(a.roles)}
            for a in ACTIONS.values()
        ],
        "special_procedures": list(SPECIAL_PROCEDURES),
        "outcomes": OUTCOMES,
    }


def allowed_actions(state: str, role: str | None = None) -> list[str]:
    """Actions possible from ``state`` (for ``role`` when given), in the order of the flow."""
    return [a.name for a in ACTIONS.values() if state in a.sources and (role is None or role in a.roles)]


def state_label(state: str | None) -> str:
    return STATE_LABELS.get(state or "", state or "")
