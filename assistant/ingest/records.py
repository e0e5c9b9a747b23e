"""Structured records (service items, or a user's own title + text rows) as readable Chinese passages.

A service item of the Guangdong catalogue (``matter_name``, ``DEPT_NAME``, ``material_intro``...) becomes
one passage of labelled lines, most asked-about facts first and the long legal basis last, so that when
a record must be split its first piece still holds the essentials. Field values are kept verbatim: the
evaluation keys are substrings of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.ingest.document import Record
from assistant.ingest.errors import IngestError
from assistant.ingest.item_profile import search_note

ITEM_NAME_LABEL = "事项名称"
_NONE_VALUES = {"", "无", "null", "none", "暂无", "/"}

# Passage label, catalogue key(s) in order of preference, and the name the value gets in Record.fields.
_SERVICE_ITEM_LINES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("实施机关", ("DEPT_NAME",), "dept"),
    ("实施地区", ("AREA_CODE_TEXT",), "area"),
    ("事项类型", ("matter_type", "TASK_TYPE_TEXT"), "matter_type"),
    ("办理地点", ("handle_location",), "location"),
    ("法定办结时限", ("handle_time",), "legal_time_limit"),
    ("承诺办结时限", ("handle_time_limit",), "promised_time_limit"),
    ("申请材料", ("material_intro",), "materials"),
    ("咨询电话", ("consult_phone",), "phone"),
    ("投诉电话", ("complain_phone",), "complaint_phone"),
    ("服务对象", ("service_object_name",), "service_objects"),
    ("主题分类", ("theme_category",), "themes"),
    ("网上预约", ("online_book",), "online_booking"),
    ("快递送达", ("courier_service",), "courier"),
    ("设定依据", ("accept_standard",), "basis"),
)
_LIST_FIELDS = {"materials", "service_objects", "themes"}
_TITLE_KEYS = ("title", "name", "标题", "名称", "题名")
_TEXT_KEYS = ("text", "content", "body", "内容", "正文", "描述", "description")


class InvalidRecord(IngestError):
    """A structured row that is neither a service item nor a title + text record."""


def to_record(row: Mapping[str, Any]) -> Record:
    """A service item when the row has ``matter_name``, else a generic title + text record."""
    if not isinstance(row, Mapping):
        raise InvalidRecord(f"expected an object with named fields, got {type(row).__name__}")
    if "matter_name" in row:
        return service_item_record(row)
    return generic_record(row)


def service_item_record(row: Mapping[str, Any]) -> Record:
    name = _scalar(row.get("matter_name"))
    if name is None:
        raise InvalidRecord("service item has an empty matter_name")
    lines = [f"{ITEM_NAME_LABEL}：{name}"]
    fields: dict[str, Any] = {"item_id": _scalar(row.get("TASK_CODE"))}
    for label, keys, field in _SERVICE_ITEM_LINES:
        raw = next((row[k] for k in keys if row.get(k) is not None), None)
        if isinstance(raw, str):
            raw = raw.removeprefix(f"{label}：")  # handle_location repeats its label: "办理地点：…"
        value: str | list[str] | None = (_values(raw) or None) if field in _LIST_FIELDS else _scalar(raw)
        if value is None:
            continue
        lines.append(f"{label}：{_join_list(field, value) if isinstance(value, list) else value}")
        fields[field] = value
    fields["url"] = _scalar(row.get("URL"))
    return Record(
        title=name,
        text="\n".join(lines),
        fields={k: v for k, v in fields.items() if v is not None},
        search_note=search_note(row),
    )


def generic_record(row: Mapping[str, Any]) -> Record:
    """A row with a title-like key (title/name/标题/名称) and a text-like key (text/content/内容/正文).

    Other fields go to ``Record.fields``; without a text key they make the passage as ``key：value`` lines.
    """
    by_lower = {str(k).strip().lower(): k for k in row}
    title_key = next((by_lower[k] for k in _TITLE_KEYS if k in by_lower), None)
    text_key = next((by_lower[k] for k in _TEXT_KEYS if k in by_lower), None)
    title = _scalar(row.get(title_key)) if title_key is not None else None
    if title is None:
        raise InvalidRecord(
            f"no title: expected a non-empty 'matter_name' (service item) or one of {', '.join(_TITLE_KEYS)}"
        )
    others = {str(k): v for k, v in row.items() if k not in (title_key, text_key)}
    fields = {k: v for k, v in ((k, _field_value(v)) for k, v in others.items()) if v is not None}
    text = _scalar(row.get(text_key)) if text_key is not None else None
    if text is None:
        text = "\n".join(f"{k}：{_join_list(k, v) if isinstance(v, list) else v}" for k, v in fields.items())
    if not text:
        raise InvalidRecord(f"record {title!r} has no text: add one of {', '.join(_TEXT_KEYS)}")
    return Record(title=title, text=f"{title}\n{text}", fields=fields)


def _scalar(value: Any) -> str | None:
    """A value as stripped text, or None for missing and "无"-style placeholders."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return None if text.lower() in _NONE_VALUES else text


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in (_scalar(item) for item in items) if v is not None]


def _field_value(value: Any) -> str | list[str] | None:
    if isinstance(value, list):
        return _values(value) or None
    return _scalar(value)


def _join_list(field: str, values: list[str]) -> str:
    if field == "materials":
        return " ".join(f"{i}. {v}" for i, v in enumerate(values, 1))
    return "、".join(values)
