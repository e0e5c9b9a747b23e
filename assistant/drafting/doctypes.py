"""The 15 document types of 《党政机关公文处理工作条例》 (Article 8) and templates for the eight common ones.

A template says what a type is for, who it goes to, whether it may ask for something, which elements it
must and may carry, how its title is formed, how its body opens and closes, and how the body is usually
organised: the drafting prompt, the assembler and the checker all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.errors import AssistantError

# All 15 types, in the order of Article 8. "命令（令）" is matched as 命令 or 令.
DOC_TYPE_NAMES: tuple[str, ...] = (
    "决议",
    "决定",
    "命令",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "议案",
    "函",
    "纪要",
)

Direction = Literal["上行文", "下行文", "平行文", "不定向"]
Recipients = Literal["many", "one", "none"]  # how many 主送机关 the type takes
Requests = Literal["any", "one", "none"]  # 请示 asks exactly one thing; 报告 asks nothing

# The 18 elements of GB/T 9704-2012, by part.
HEAD_ELEMENTS = ("份号", "密级和保密期限", "紧急程度", "发文机关标志", "发文字号", "签发人")
BODY_ELEMENTS = ("标题", "主送机关", "正文", "附件说明", "发文机关署名", "成文日期", "印章", "附注", "附件")
FOOT_ELEMENTS = ("抄送机关", "印发机关和印发日期", "页码")


class UnknownDocType(AssistantError):
    """A document type that is not one of the 15, or one without a drafting template."""


@dataclass(frozen=True)
class DocType:
    name: str
    purpose: str  # what the type is for (条例, Article 8, shortened)
    direction: Direction
    recipients: Recipients
    requests: Requests
    required: tuple[str, ...]  # elements a draft of this type must carry
    optional: tuple[str, ...]  # elements it may carry
    opening_tail: str = ""  # how the opening paragraph hands over to the numbered body
    closing: str = ""  # 结束语 the program appends ("" = none)
    outline: tuple[str, ...] = ()  # usual first-level headings, guidance for the writer
    guidance: str = ""  # how to write the body, shown to the model and to people
    mark_suffix: str = "文件"  # 发文机关标志 = issuer + suffix

    @property
    def has_template(self) -> bool:
        return bool(self.guidance)

    @property
    def upward(self) -> bool:
        """上行文 put the 发文字号 at the left of the 签发人 line."""
        return self.direction == "上行文"

    def title(self, issuer: str, subject: str) -> str:
        """The title formula: 发文机关 + 关于 + 事由 + 文种 (纪要: 发文机关 + 会议名称 + 纪要)."""
        subject = subject_of(subject, self.name)
        if self.name == "纪要":
            meeting = subject if subject.endswith("会议") else subject + "会议"
            return f"{issuer}{meeting}纪要"
        return f"{issuer}关于{subject}的{self.name}"


_COMMON = ("标题", "正文", "发文机关署名", "成文日期")
_OPTIONAL = ("份号", "密级和保密期限", "紧急程度", "发文字号", "附件说明", "抄送机关", "印发机关和印发日期", "附注")

_TEMPLATES: dict[str, DocType] = {
    t.name: t
    for t in (
        DocType(
            name="通知",
            purpose="发布、传达要求下级机关执行和有关单位周知或者执行的事项，批转、转发公文",
            direction="下行文",
            recipients="many",
            requests="any",
            required=("标题", "主送机关", "正文", "发文机关署名", "成文日期"),
            optional=_OPTIONAL,
            opening_tail="现将有关事项通知如下：",
            closing="特此通知。",
            outline=("工作目标", "主要任务", "工作要求"),
            guidance="先写发文的依据和目的，再分条写清要做什么、谁来做、何时完成、怎样报送；要求具体，语气明确。",
        ),
        DocType(
            name="请示",
            purpose="向上级机关请求指示、批准",
            direction="上行文",
            recipients="one",
            requests="one",
            required=("标题", "主送机关", "正文", "发文机关署名", "成文日期", "附注"),
            optional=("份号", "密级和保密期限", "紧急程度", "发文字号", "签发人", "附件说明", "抄送机关"),
            opening_tail="现将有关情况请示如下：",
            closing="妥否，请批示。",
            outline=("基本情况", "请示事项的理由", "请示事项"),
            guidance="一文一事：只请求一件事。先写请示的缘由和依据，再写拟办的事项和理由；不要同时提出多项请求，"
            "只主送一个上级机关，附注写明联系人和联系电话。",
        ),
        DocType(
            name="报告",
            purpose="向上级机关汇报工作、反映情况，回复上级机关的询问",
            direction="上行文",
            recipients="one",
            requests="none",
            required=("标题", "主送机关", "正文", "发文机关署名", "成文日期"),
            optional=("份号", "密级和保密期限", "紧急程度", "发文字号", "签发人", "附件说明", "抄送机关", "附注"),
            opening_tail="现将有关情况报告如下：",
            closing="特此报告。",
            outline=("工作进展", "主要成效", "存在的问题", "下一步工作安排"),
            guidance="如实汇报工作进展、成效、问题和下一步安排，用数据和事实说话；报告中不得夹带请示事项，"
            "不写“请批示”“请批准”之类的请求。",
        ),
        DocType(
            name="函",
            purpose="不相隶属机关之间商洽工作、询问和答复问题、请求批准和答复审批事项",
            direction="平行文",
            recipients="many",
            requests="any",
            required=("标题", "主送机关", "正文", "发文机关署名", "成文日期"),
            optional=_OPTIONAL,
            opening_tail="现将有关事项函告如下：",
            closing="请予研究函复。",
            outline=("商洽事项", "有关安排"),
            guidance="写给不相隶属的机关：开门见山说明商洽或询问的事项和依据，语气谦和，事项具体。",
            mark_suffix="",
        ),
        DocType(
            name="意见",
            purpose="对重要问题提出见解和处理办法",
            direction="不定向",
            recipients="many",
            requests="any",
            required=_COMMON,
            optional=("主送机关", *_OPTIONAL),
            opening_tail="现提出如下意见：",
            outline=("总体要求", "重点任务", "保障措施"),
            guidance="先写目的和依据，再分层写总体要求、重点任务和保障措施；每项任务写明做什么、怎么做。",
        ),
        DocType(
            name="批复",
            purpose="答复下级机关请示事项",
            direction="下行文",
            recipients="one",
            requests="any",
            required=("标题", "主送机关", "正文", "发文机关署名", "成文日期"),
            optional=_OPTIONAL,
            opening_tail="经研究，现批复如下：",
            closing="此复。",
            outline=("批复意见", "有关要求"),
            guidance="针对来文请示的事项明确表态（同意、原则同意或不同意），再提出执行中的要求；只主送请示的单位。",
        ),
        DocType(
            name="通报",
            purpose="表彰先进、批评错误、传达重要精神和告知重要情况",
            direction="下行文",
            recipients="many",
            requests="any",
            required=_COMMON,
            optional=("主送机关", *_OPTIONAL),
            opening_tail="现将有关情况通报如下：",
            closing="特此通报。",
            outline=("基本情况", "主要做法", "有关要求"),
            guidance="先写通报的事实和依据，再写评价和从中得出的要求；事实准确，评价恰当。",
        ),
        DocType(
            name="纪要",
            purpose="记载会议主要情况和议定事项",
            direction="不定向",
            recipients="none",
            requests="any",
            required=("标题", "正文"),
            optional=("份号", "密级和保密期限", "紧急程度", "发文字号", "抄送机关", "印发机关和印发日期"),
            opening_tail="现将会议议定事项纪要如下：",
            outline=("会议认为", "会议议定"),
            guidance="先写会议的时间、主持人和议题，再分条写会议的认识和议定事项，用“会议认为”“会议要求”“会议议定”引出。",
            mark_suffix="会议纪要",
        ),
    )
}

_PURPOSES = {
    "决议": "会议讨论通过的重大决策事项",
    "决定": "对重要事项作出决策和部署、奖惩有关单位和人员、变更或者撤销下级机关不适当的决定事项",
    "命令": "公布行政法规和规章、宣布施行重大强制性措施、批准授予和晋升衔级、嘉奖有关单位和人员",
    "公报": "公布重要决定或者重大事项",
    "公告": "向国内外宣布重要事项或者法定事项",
    "通告": "在一定范围内公布应当遵守或者周知的事项",
    "议案": "各级人民政府按照法律程序向同级人民代表大会或者人民代表大会常务委员会提请审议事项",
}

DOC_TYPES: dict[str, DocType] = {
    name: _TEMPLATES.get(name)
    or DocType(
        name=name,
        purpose=_PURPOSES[name],
        direction="上行文" if name == "议案" else "下行文",
        recipients="none" if name in ("公报", "公告", "通告", "命令") else "many",
        requests="any",
        required=_COMMON,
        optional=_OPTIONAL,
    )
    for name in DOC_TYPE_NAMES
}
TEMPLATE_NAMES: tuple[str, ...] = tuple(_TEMPLATES)


def doc_type(name: str) -> DocType:
    """The type called ``name`` (命令（令） and 令 are 命令); ``UnknownDocType`` names the 15 otherwise."""
    key = name.strip().removesuffix("（令）")
    key = "命令" if key == "令" else key
    if key not in DOC_TYPES:
        raise UnknownDocType(f"unknown document type {name!r}; the 15 types are {'、'.join(DOC_TYPE_NAMES)}")
    return DOC_TYPES[key]


def template(name: str) -> DocType:
    """The drafting template of ``name``; ``UnknownDocType`` for a type without one."""
    found = doc_type(name)
    if not found.has_template:
        raise UnknownDocType(
            f"{found.name} is one of the 15 document types but has no drafting template; "
            f"drafts can be made for {'、'.join(TEMPLATE_NAMES)}"
        )
    return found


def type_in_title(title: str) -> str | None:
    """The document type a title ends with (the longest match), or None."""
    text = title.rstrip()
    names = sorted((*DOC_TYPE_NAMES, "令"), key=len, reverse=True)
    for name in names:
        if text.endswith(name):
            return "命令" if name == "令" else name
    return None


def subject_of(subject: str, type_name: str) -> str:
    """The 事由 alone: what a person typed with any leading 关于 and trailing 的通知 (or other type) removed."""
    text = subject.strip().strip('《》“”"').rstrip("。；;，,")
    text = text.removeprefix("关于")
    for suffix in (f"的{type_name}", type_name) if type_name != "纪要" else ("纪要",):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return text
