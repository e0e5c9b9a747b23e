"""Applicants' identity numbers: 居民身份证号码 (GB 11643) and 统一社会信用代码 (GB 32100), by their checksums.

A number that fails is refused with a message that says which rule it broke, so a window clerk can
read it to the applicant. The case layer validates what is typed into a form; the pre-check also
runs these on numbers it finds in uploaded materials.
"""

from __future__ import annotations

from typing import Literal

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from assistant.errors import AssistantError

IdentityKind = Literal["person", "enterprise"]
KIND_LABEL: dict[IdentityKind, str] = {"person": "居民身份证号码", "enterprise": "统一社会信用代码"}


class InvalidIdentifier(AssistantError):
    """An identity number or credit code that fails its format or checksum."""


def _reason(error: ValidationError) -> str:
    if isinstance(error, InvalidLength):
        return "位数不对"
    if isinstance(error, InvalidChecksum):
        return "校验位不符"
    if isinstance(error, InvalidComponent):
        return "其中的出生日期或地区码无效"
    if isinstance(error, InvalidFormat):
        return "含有不允许的字符"
    return "格式无效"


def normalise_identifier(kind: IdentityKind, number: str) -> str:
    """The number in its canonical form (upper case, no spaces), or InvalidIdentifier saying what is wrong."""
    module = ric if kind == "person" else uscc
    try:
        return module.validate(number)
    except ValidationError as exc:
        label = KIND_LABEL[kind]
        shown = number.strip() or "（空）"
        raise InvalidIdentifier(f"{label} {shown} 无效：{_reason(exc)}") from exc


def is_valid_identifier(kind: IdentityKind, number: str) -> bool:
    try:
        normalise_identifier(kind, number)
    except InvalidIdentifier:
        return False
    return True
