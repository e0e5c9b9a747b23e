"""Which region a document applies to, and which regions a question names.

A region is a province-level name as the state writes it ("重庆市", "安徽省", "广西壮族自治区"), or
``NATIONAL`` ("全国") for documents of the central state (国务院, its ministries, 全国人大, laws of the
中华人民共和国). At ingest it is read from the sidecar, the issuing body, the title, the 文号's prefix
(渝府发 → 重庆市) and a web page's source; a question names one by its full or short name
("重庆", "安徽") or by a big city ("深圳" → 广东省).
"""

from __future__ import annotations

import re

NATIONAL = "全国"

# Province-level regions: full name, short names a text or question uses, and the 文号 abbreviation.
_PROVINCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("北京市", ("北京",), "京"),
    ("天津市", ("天津",), "津"),
    ("河北省", ("河北",), "冀"),
    ("山西省", ("山西",), "晋"),
    ("内蒙古自治区", ("内蒙古",), "内"),
    ("辽宁省", ("辽宁",), "辽"),
    ("吉林省", ("吉林",), "吉"),
    ("黑龙江省", ("黑龙江",), "黑"),
    ("上海市", ("上海",), "沪"),
    ("江苏省", ("江苏",), "苏"),
    ("浙江省", ("浙江",), "浙"),
    ("安徽省", ("安徽",), "皖"),
    ("福建省", ("福建",), "闽"),
    ("江西省", ("江西",), "赣"),
    ("山东省", ("山东",), "鲁"),
    ("河南省", ("河南",), "豫"),
    ("湖北省", ("湖北",), "鄂"),
    ("湖南省", ("湖南",), "湘"),
    ("广东省", ("广东",), "粤"),
    ("广西壮族自治区", ("广西",), "桂"),
    ("海南省", ("海南",), "琼"),
    ("重庆市", ("重庆",), "渝"),
    ("四川省", ("四川",), "川"),
    ("贵州省", ("贵州",), "黔"),
    ("云南省", ("云南",), "云"),
    ("西藏自治区", ("西藏",), "藏"),
    ("陕西省", ("陕西",), "陕"),
    ("甘肃省", ("甘肃",), "甘"),
    ("青海省", ("青海",), "青"),
    ("宁夏回族自治区", ("宁夏",), "宁"),
    ("新疆维吾尔自治区", ("新疆",), "新"),
    ("香港特别行政区", ("香港",), "港"),
    ("澳门特别行政区", ("澳门",), "澳"),
    ("台湾省", ("台湾",), "台"),
)
# Provincial capitals and other large cities a question may name instead of the province.
_CITIES: dict[str, str] = {
    "石家庄": "河北省", "太原": "山西省", "呼和浩特": "内蒙古自治区", "沈阳": "辽宁省", "大连": "辽宁省",
    "长春": "吉林省", "哈尔滨": "黑龙江省", "南京": "江苏省", "苏州": "江苏省", "无锡": "江苏省",
    "杭州": "浙江省", "宁波": "浙江省", "温州": "浙江省", "合肥": "安徽省", "福州": "福建省", "厦门": "福建省",
    "南昌": "江西省", "济南": "山东省", "青岛": "山东省", "烟台": "山东省", "郑州": "河南省", "洛阳": "河南省",
    "武汉": "湖北省", "长沙": "湖南省", "广州": "广东省", "深圳": "广东省", "佛山": "广东省", "东莞": "广东省",
    "珠海": "广东省", "南宁": "广西壮族自治区", "海口": "海南省", "三亚": "海南省", "成都": "四川省",
    "贵阳": "贵州省", "昆明": "云南省", "拉萨": "西藏自治区", "西安": "陕西省", "兰州": "甘肃省",
    "西宁": "青海省", "银川": "宁夏回族自治区", "乌鲁木齐": "新疆维吾尔自治区",
}  # fmt: skip
REGIONS = tuple(full for full, _, _ in _PROVINCES)
_BY_NAME = {name: full for full, shorts, _ in _PROVINCES for name in (full, *shorts)} | _CITIES
_BY_ABBREVIATION = {abbreviation: full for full, _, abbreviation in _PROVINCES}
_NAME = re.compile("|".join(sorted(map(re.escape, _BY_NAME), key=len, reverse=True)))
# Bodies of the central state: a document they issue applies nationwide.
_NATIONAL_BODY = re.compile(
    r"^(?:中华人民共和国|中共中央|国务院|全国人民代表大会|全国人大|最高人民法院|最高人民检察院|国家|"
    r"(?:教育|科学技术|工业和信息化|公安|民政|司法|财政|人力资源和?社会保障|自然资源|生态环境|住房和城乡建设|"
    r"交通运输|水利|农业农村|商务|文化和旅游|应急管理|外交|国防)部|中国人民银行|审计署|海关总署|"
    r"市场监管总局|税务总局|中央)"
)
# 文号 prefixes of the central state: 国发, 国办发, 财税, 人社部发 ...
_NATIONAL_NUMBER = re.compile(
    r"^(?:国|国办|国函|中发|中办|财|人社部|教|工信部|公|民|司|自然资|环|建|交|水|农|商|文旅|应急)"
)


def region_of(*texts: str | None) -> str | None:
    """The region of the first text (issuer, title, source …, in order of trust) that names one.

    A text opening with a national body makes the document national; one naming a province (or a city of
    one) gives that province; a text naming neither says nothing and the next is tried.
    """
    for text in texts:
        if not text:
            continue
        found = _NAME.search(text)
        national = _NATIONAL_BODY.match(text) is not None
        # "国家税务总局重庆市税务局" is Chongqing's; "国务院关于支持重庆…的意见" is national.
        if national and (found is None or "关于" in text[: found.start()]):
            return NATIONAL
        if found:
            return _BY_NAME[found.group(0)]
    return None


def region_of_number(doc_number: str | None) -> str | None:
    """The region a 发文字号 names by its prefix: 渝府发〔2023〕5号 → 重庆市, 国办发〔2024〕3号 → 全国."""
    if not doc_number:
        return None
    if _NATIONAL_NUMBER.match(doc_number):
        return NATIONAL
    return _BY_ABBREVIATION.get(doc_number[0])


def regions_named(question: str) -> list[str]:
    """The province-level regions a question names, in order of mention ("重庆市…", "在深圳…")."""
    return list(dict.fromkeys(_BY_NAME[m.group(0)] for m in _NAME.finditer(question)))


def canonical_region(name: str) -> str | None:
    """A region name as stored ("重庆" → "重庆市", "全国" stays); None when it is no known region."""
    name = name.strip()
    if name in (NATIONAL, "国家", "中央"):
        return NATIONAL
    return _BY_NAME.get(name)
