"""What the screens tell a person when something goes wrong: plain Chinese, never a stack trace.

The product's errors carry a one-line English message fit for operators and API clients. A person
at the web page reads what happened and what to do in Chinese; on the staff and admin screens the
original message follows as the detail (it names the file, the limit or the field an operator asks
about), on the public ones it does not.
Anything unexpected is logged with its traceback and shown only as a generic sentence.
"""

from __future__ import annotations

import logging

from assistant.answer.service import BadQuestion
from assistant.api.errors import Forbidden, TooManyRequests, Unauthorized
from assistant.api.uploads import UploadError, UploadTooLarge
from assistant.cases.errors import (
    BadApplicant,
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseNotFound,
    IllegalTransition,
    MaterialRefused,
    MaterialTooLarge,
    UnknownItem,
)
from assistant.errors import AssistantError
from assistant.ingest.errors import IngestError
from assistant.ingest.loaders import UnsupportedFormat
from assistant.models.llm import LLMError
from assistant.retrieval.store import StoreError

log = logging.getLogger(__name__)

# The same words for a missing case, a wrong verification code and another applicant's case.
NOT_FOUND = "未找到该办件：请核对办件编号和查询码。"
# Most specific first: the first matching type gives the sentence.
_SENTENCES: tuple[tuple[type[Exception], str], ...] = (
    (BadQuestion, "问题无法处理：请输入不超过1000字的问题。"),
    (Unauthorized, "请使用有效的访问密钥登录。"),
    (Forbidden, "当前账号没有这项操作的权限。"),
    (CaseForbidden, "当前账号没有这项操作的权限。"),
    (CaseNotFound, NOT_FOUND),
    (CaseConflict, "这件办件刚刚已被其他人办理，页面已重新载入它现在的样子，请查看后再决定。"),
    (IllegalTransition, "办件当前的状态不允许这项操作。"),
    (BadApplicant, "申请人信息有误，请检查姓名、证件号码和联系电话。"),
    (UnknownItem, "找不到这个办事事项。"),
    (MaterialTooLarge, "文件超过了允许的大小，请压缩或拆分后再上传。"),
    (MaterialRefused, "材料无法保存，请检查文件。"),
    (CaseError, "办件操作未能完成，请检查填写的内容。"),
    (TooManyRequests, "系统正忙，请稍后再试。"),
    (UploadTooLarge, "文件超过了允许的大小，请压缩或拆分后再上传。"),
    (UnsupportedFormat, "暂不支持这种文件类型，请上传 txt、md、html、docx、pdf、json、jsonl 或 csv 文件。"),
    (UploadError, "上传的文件无法处理，请检查文件名后重试。"),
    (IngestError, "文件无法读取或其中没有可用的文字。"),
    (LLMError, "语言模型暂时不可用，请稍后再试或联系管理员。"),
    (StoreError, "文档库暂时不可用，请稍后再试或联系管理员。"),
)
GENERIC = "系统出现了意外错误，请稍后再试；如果问题持续存在，请联系管理员。"


def explain(exc: BaseException, detail: bool = True) -> str:
    """One short paragraph for a person: the Chinese sentence, then (for staff screens) the product's own detail."""
    if not isinstance(exc, AssistantError):
        log.error("unexpected error in the web interface", exc_info=exc)
        return GENERIC
    sentence = next((s for kind, s in _SENTENCES if isinstance(exc, kind)), "操作未能完成。")
    said = str(exc).strip()
    return f"{sentence}（详情：{said}）" if detail and said else sentence
