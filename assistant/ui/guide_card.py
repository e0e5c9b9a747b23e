"""The "一件事" card the chat shows above the answer when a question is a goal the catalogue covers.

The guide comes from ``GuideService.guide``, as at ``POST /v1/guide``: every line is a catalogue
record's own field, cited by number; nothing here is written by a model.
"""

from __future__ import annotations

import logging
from html import escape

from assistant.components import Components
from assistant.errors import AssistantError
from assistant.guides.service import Guide, GuideItem
from assistant.ui.render import ai_label, citations_html

log = logging.getLogger(__name__)


def guide_card(components: Components, question: str, access: list[str]) -> Guide | None:
    """The guide for ``question`` (shown by ``guide_html``), or None when it names no goal the catalogue has
    items for."""
    try:
        guide = components.guides.guide(question, access)
    except AssistantError as exc:  # a guide is an extra: the answer still comes
        log.info("no guide card: %s", exc)
        return None
    return guide if guide.found else None


def guide_html(guide: Guide) -> str:
    items = {item.n: item for item in guide.items}
    steps = "".join(
        f"<li><b>{escape(step.title)}</b>"
        + (
            f'<div class="caution">{escape(step.note or "")}</div>'
            if step.missing
            else "<ul>" + "".join(f"<li>{_item_line(items[n])}</li>" for n in step.items) + "</ul>"
        )
        + "</li>"
        for step in guide.steps
    )
    materials = "".join(f"<li>{escape(m.text)} {''.join(f'[{n}]' for n in m.items)}</li>" for m in guide.materials)
    return (
        f'<div class="guide"><div class="guide-title">办事指引 · {escape(guide.title)}</div>'
        f'<ol class="guide-steps">{steps}</ol>'
        + (
            f'<details class="citation"><summary>材料清单（共 {len(guide.materials)} 项，同一材料只列一次）</summary>'
            f"<ul>{materials}</ul></details>"
            if guide.materials
            else ""
        )
        + f'<p class="hint">还有疑问可以咨询：{escape(guide.where_to_ask)}</p>'
        + citations_html(guide.citations)
        + ai_label()
        + "</div>"
    )


def _item_line(item: GuideItem) -> str:
    facts = [
        ("办理部门", item.dept),
        ("地点", item.location),
        ("承诺时限", item.promised_time_limit),
        ("法定时限", item.legal_time_limit),
        ("电话", item.phone),
    ]
    details = "；".join(f"{label}：{escape(value)}" for label, value in facts if value)
    return f"{escape(item.name)} [{item.n}]" + (f'<div class="cite-path">{details}</div>' if details else "")
