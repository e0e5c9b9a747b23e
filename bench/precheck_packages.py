"""Application packages for real catalogue items, drawn from a seed, with planted defects of known kinds.

Each package is what an applicant would hand in: filled forms (.docx or PDF with a text layer), ID-card
and certificate scans and photos (PIL with Debian's fonts-noto-cjk), signed statements, some turned by
90/180/270 degrees or scanned poorly, plus the form data typed into the application. A package knows
the defects planted in it, so an evaluation can score the pre-check's findings against them. Nothing
here is committed as a file: everything is generated in memory from the seed.

The catalogue records are read at run time from ``<repo>/../shared/data/gd_service_items/policy.jsonl``
(or ``ASSISTANT_SHARED_DIR``); no copy is kept in git.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from stdnum.cn import ric, uscc

from assistant.cases.item_rules import ChecklistSlot, ItemRules
from assistant.ingest.records import to_record
from assistant.precheck.reading import Material

REPO = Path(__file__).resolve().parents[1]
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
# Items of different kinds: dev items are tuned on, holdout items never.
DEV_ITEMS = (
    "13440000455857174Y2442169016000",  # 《残疾人证》新办证申请 (a personal certificate)
    "11440000006939801C244010300100202",  # 实验动物使用许可（变更） (an enterprise's licence change)
    "11440000553612461J2442111665001",  # 机关事业单位养老保险待遇申领 (a social-insurance benefit)
    "11440100007483180K3440109002002",  # 兼职律师执业许可 (a professional licence, signed statement)
)
HOLDOUT_ITEMS = (
    "11440000MB2D0344212440172027004",  # 执业药师注销注册 (a personal certificate's cancellation)
    "1144000000694113522440116004003",  # 延续取水许可 (an enterprise's licence renewal)
    "11440000553612461J2442111676001",  # 工伤保险住院伙食补助费申领 (a work-injury insurance benefit)
    "11440000006940132H2440720009000",  # 计划生育手术并发症鉴定 (an administrative confirmation)
)
# Every kind of defect the pre-check looks for, as planted here; each maps to the finding kinds that find it.
DEFECTS = {
    "missing": ("missing",),
    "bad_checksum": ("bad_identifier",),
    "mismatch": ("mismatch",),
    "expired": ("expired",),
    "expires_before_decision": ("expires_before_decision",),
    "blank": ("blank",),
    "unreadable": ("unreadable",),
    "duplicate": ("duplicate",),
    "not_required": ("not_required",),
    "not_document": ("not_document",),
    "unreadable_file": ("unreadable_file",),
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅玉兰俊峰文辉海燕晓东春梅立新永健宏斌"
_AREAS = ("440104", "440106", "440303", "441302", "440111", "440105", "440305")
_ORG_WORDS = ("华南", "粤海", "岭南", "珠江", "南粤", "羊城", "越秀", "天河")
_ORG_KINDS = ("生物科技有限公司", "实验动物中心", "水务有限公司", "医药研究院有限公司", "食品有限公司")


@dataclass
class Package:
    """One application: the item's rules, the form, the files, and the defects planted (kind, file or slot)."""

    rules: ItemRules
    form: dict[str, str]
    materials: list[Material]
    defects: list[tuple[str, str]] = field(default_factory=list)  # (defect kind, file name or "slot:N")
    # Findings that follow from a planted defect and are true, though not planted themselves: a slot whose
    # only file cannot be read (and whose name does not say what it is) is also a missing material.
    consequences: set[tuple[str, str]] = field(default_factory=set)
    signed: set[str] = field(default_factory=set)  # files drawn with a place for a signature or seal
    today: date = date(2026, 12, 7)
    decision_due: date = date(2027, 1, 15)

    @property
    def clean(self) -> bool:
        return not self.defects


def shared_dir() -> Path:
    """The shared read-only material beside the main checkout (this may be a worktree of it)."""
    if os.environ.get("ASSISTANT_SHARED_DIR"):
        return Path(os.environ["ASSISTANT_SHARED_DIR"])
    candidates = [REPO.parent / "shared"]
    try:
        common = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        candidates.append(Path(common).parent.parent / "shared")
    except (OSError, subprocess.CalledProcessError):
        pass
    for candidate in candidates:
        if (candidate / "data" / "gd_service_items" / "policy.jsonl").exists():
            return candidate
    raise FileNotFoundError("the shared catalogue is not beside the repository; set ASSISTANT_SHARED_DIR")


def catalogue_rows(item_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The raw catalogue records of these items (TASK_CODE), read from the shared file."""
    wanted, rows = set(item_ids), {}
    with (shared_dir() / "data" / "gd_service_items" / "policy.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("TASK_CODE") in wanted:
                rows[row["TASK_CODE"]] = row
    missing = wanted - set(rows)
    if missing:
        raise KeyError(f"items not in the catalogue: {sorted(missing)}")
    return rows


def rules_of(row: dict[str, Any]) -> ItemRules:
    record = to_record(row)
    return ItemRules.from_fields(record.fields, record.title)


@lru_cache(maxsize=16)
def font(size: int, serif: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(FONT_DIR / ("NotoSerifCJK-Regular.ttc" if serif else "NotoSansCJK-Regular.ttc")), size
    )


# --- people, numbers, dates --------------------------------------------------------------------------------


@dataclass
class Applicant:
    name: str
    id_number: str
    org_name: str
    credit_code: str
    phone: str


def person_id(rng: random.Random) -> str:
    birth = date(1988, 1, 1) + timedelta(days=rng.randrange(0, 365 * 15))  # after every area code below existed
    body = f"{rng.choice(_AREAS)}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects the number with a check digit place


def credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "9144" + f"{rng.randrange(0, 10000):04d}" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def break_checksum(number: str) -> str:
    """The same number with a wrong check character (what a typo in the last place gives)."""
    options = "0123456789X" if len(number) == 18 and number[:17].isdigit() else "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return number[:-1] + next(c for c in options if c != number[-1])


def applicant(rng: random.Random) -> Applicant:
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    org = rng.choice(("广州", "深圳", "佛山", "东莞")) + "市" + rng.choice(_ORG_WORDS) + rng.choice(_ORG_KINDS)
    phone = "13" + "".join(rng.choice("0123456789") for _ in range(9))
    return Applicant(name, person_id(rng), org, credit_code(rng), phone)


def _d(value: date) -> str:
    return f"{value:%Y.%m.%d}"


# --- drawing ----------------------------------------------------------------------------------------------


def draw_page(
    lines: list[tuple[str, int]], size: tuple[int, int], seal: str | None = None, rng: random.Random | None = None
) -> Image.Image:  # noqa: E501
    """A white page with lines of (text, font size), top to bottom; a red seal ring when asked."""
    image = Image.new("RGB", size, (252, 252, 250))
    pen = ImageDraw.Draw(image)
    y = 40
    for text, px in lines:
        x = (size[0] - pen.textlength(text, font=font(px))) / 2 if px >= 36 else 50
        pen.text((x, y), text, font=font(px), fill=(20, 20, 20))
        y += int(px * 1.9)
    if seal:
        cx, cy, r = size[0] - 190, y - 40, 85
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(210, 40, 40), width=6)
        pen.text((cx - 14, cy - 18), "★", font=font(32), fill=(210, 40, 40))
        pen.text((cx - pen.textlength(seal, font=font(16)) / 2, cy + 30), seal, font=font(16), fill=(210, 40, 40))
    return image


def id_card(person: Applicant, valid_until: date | None, number: str | None = None) -> Image.Image:
    """Front and back of a resident ID card on one copy sheet."""
    sheet = Image.new("RGB", (960, 1220), (250, 250, 250))
    pen = ImageDraw.Draw(sheet)
    for top in (40, 640):
        pen.rounded_rectangle(
            (60, top, 900, top + 540), radius=30, outline=(120, 140, 170), width=3, fill=(235, 242, 250)
        )
    birth = date(int(person.id_number[6:10]), int(person.id_number[10:12]), int(person.id_number[12:14]))
    front = [f"姓名  {person.name}", "性别  男    民族  汉", f"出生  {birth.year}年{birth.month}月{birth.day}日",
             "住址  广东省广州市越秀区东风中路305号", f"公民身份号码  {number or person.id_number}"]  # fmt: skip
    for i, text in enumerate(front):
        pen.text((100, 90 + i * 90), text, font=font(32), fill=(25, 25, 25))
    pen.rectangle((680, 110, 860, 330), fill=(200, 205, 215))
    start = (valid_until or date(2036, 1, 1)) - timedelta(days=365 * 20)
    back = [("中华人民共和国", 44), ("居民身份证", 52), ("签发机关  广州市公安局越秀分局", 30),
            (f"有效期限  {_d(start)}-{_d(valid_until) if valid_until else '长期'}", 30)]  # fmt: skip
    y = 700
    for text, px in back:
        pen.text((120, y), text, font=font(px), fill=(25, 25, 25))
        y += int(px * 2.2)
    return sheet


def business_licence(person: Applicant, valid_until: date | None, code: str | None = None) -> Image.Image:
    lines = [("营业执照", 64), (f"统一社会信用代码  {code or person.credit_code}", 28),
             (f"名称  {person.org_name}", 28),
             ("类型  有限责任公司（自然人投资或控股）", 28), (f"法定代表人  {person.name}", 28),
             ("注册资本  人民币伍佰万元", 28), ("成立日期  2015年03月18日", 28),
             (f"营业期限  2015年03月18日至{f'{valid_until.year}年{valid_until.month:02d}月{valid_until.day:02d}日' if valid_until else '长期'}", 28),  # noqa: E501
             ("住所  广州市天河区天河路385号", 28), ("登记机关（盖章）", 28), ("2024年05月10日", 28)]  # fmt: skip
    return draw_page(lines, (1000, 1300), seal="市场监督管理局")


def certificate(title: str, person: Applicant, valid_until: date | None, rng: random.Random) -> Image.Image:
    number = f"{rng.randrange(10**11, 10**12)}"
    lines = [(title, 44), (f"持证人  {person.name}", 30), (f"公民身份号码  {person.id_number}", 30),
             (f"证书编号  {number}", 30), ("发证日期  2021年06月01日", 30)]  # fmt: skip
    if valid_until is not None:
        lines.append((f"有效期至  {valid_until.year}年{valid_until.month:02d}月{valid_until.day:02d}日", 30))
    lines.append(("发证机关（盖章）", 30))
    return draw_page(lines, (1000, 1100), seal="发证专用章")


def photo(rng: random.Random) -> Image.Image:
    """A portrait photo: a face-like shape on a plain background, no text."""
    image = Image.new("RGB", (413, 579), (rng.randrange(200, 255), 240, 245))
    pen = ImageDraw.Draw(image)
    pen.ellipse((120, 110, 290, 320), fill=(230, 190, 160))
    pen.rectangle((70, 360, 340, 579), fill=(40, 50, 80))
    pen.ellipse((100, 70, 310, 190), fill=(30, 25, 20))
    return image


def landscape(rng: random.Random) -> Image.Image:
    """A snapshot with no text: sky, hills, a sun (what lands in an upload by mistake)."""
    image = Image.new("RGB", (900, 600), (110, 160, 220))
    pen = ImageDraw.Draw(image)
    for _ in range(4):
        x = rng.randrange(-200, 800)
        pen.polygon(
            [(x, 600), (x + 250, rng.randrange(200, 400)), (x + 500, 600)], fill=(60, rng.randrange(110, 160), 70)
        )
    pen.ellipse((700, 60, 800, 160), fill=(250, 220, 90))
    return image.filter(ImageFilter.GaussianBlur(1))


def scanned(image: Image.Image, rng: random.Random, quality: str = "ok", rotation: int = 0) -> Image.Image:
    """As a scanner or phone gives it back: slight tilt and noise; ``poor`` is blurred, faded and grainy."""
    image = image.rotate(rng.uniform(-1.2, 1.2), expand=True, fillcolor=(245, 245, 243))
    array = np.asarray(image).astype(np.float32)
    np_rng = np.random.default_rng(rng.randrange(2**32))
    if quality == "poor":
        small = image.resize((image.width // 4, image.height // 4)).filter(ImageFilter.GaussianBlur(1.6))
        array = np.asarray(small.resize(image.size)).astype(np.float32)
        array = 150 + (array - 150) * 0.35 + np_rng.normal(0, 38, array.shape)
    else:
        array = array + np_rng.normal(0, 6, array.shape)
    result = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    return result.rotate(rotation, expand=True) if rotation else result


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages carry these lines as a text layer (reportlab's built-in Chinese font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.setFont("STSong-Light", 13)
            pdf.drawString(60, y, line)
            y -= 26
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def image_pdf(images: list[Image.Image]) -> bytes:
    """A scanned PDF: one image per page, no text layer."""
    out = io.BytesIO()
    first, *rest = [i.convert("RGB") for i in images]
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=150)
    return out.getvalue()


def encrypted_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt("secret-password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_docx(title: str, rows: list[tuple[str, str]], closing: list[str]) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(title)
    table = document.add_table(rows=len(rows), cols=2)
    for r, (label, value) in enumerate(rows):
        table.cell(r, 0).text = label
        table.cell(r, 1).text = value
    for line in closing:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- materials by slot --------------------------------------------------------------------------------------


_ID_SLOT = re.compile(r"身份证|身份证件|身份证明")
_LICENCE_SLOT = re.compile(r"营业执照|法人证书")
_PHOTO_SLOT = re.compile(r"照片|相片|彩照")
_FORM_SLOT = re.compile(r"申请表|申报表|申请书|登记表|审核表|表格")
_STATEMENT_SLOT = re.compile(r"承诺书|委托书|决议|说明|声明")
_CERT_SLOT = re.compile(r"证书|执业证|许可证|残疾人证|社会保障卡|户口簿|评定表|结婚证|资格证|注册证")


_VALIDITY_SLOT = re.compile(r"证书|执业证|许可证|残疾人证|社会保障卡|注册证")


def _has_validity(slot_name: str) -> bool:
    """Whether the generator draws a validity period on this slot's document."""
    kind = _kind(slot_name)
    return kind in ("id", "licence") or kind == "certificate" and bool(_VALIDITY_SLOT.search(slot_name))


def _kind(slot_name: str) -> str:
    """What kind of document a slot asks for, as the generator draws it."""
    if _PHOTO_SLOT.search(slot_name):
        return "photo"
    if _FORM_SLOT.search(slot_name):
        return "form"
    if _ID_SLOT.search(slot_name):
        return "id"
    if _LICENCE_SLOT.search(slot_name):
        return "licence"
    if _CERT_SLOT.search(slot_name):
        return "certificate"
    return "statement"


def clean_title(slot_name: str) -> str:
    title = re.sub(r"[《》〈〉“”]|（[^）]*(原件|复印件|正反面)[^）]*）|[。；;]$", "", slot_name).strip()
    return title.split("或")[0] if _LICENCE_SLOT.search(title) else title


class PackageMaker:
    """Draws one item's packages; ``make(seed, defects)`` gives a package with those defects planted."""

    def __init__(self, rules: ItemRules, enterprise: bool) -> None:
        self.rules = rules
        self.enterprise = enterprise

    def make(self, seed: int, defects: tuple[str, ...] = (), rotate: bool = True) -> Package:
        rng = random.Random(seed)
        person = applicant(rng)
        form = {"姓名": person.name, "身份证号": person.id_number, "联系电话": person.phone}
        if self.enterprise:
            form.update({"单位名称": person.org_name, "统一社会信用代码": person.credit_code})
        package = Package(self.rules, form, [])
        slots = [s for s in self.rules.checklist if s.required]
        planted: dict[str, Any] = {}
        # Which slot carries each per-material defect: the first fitting slot not already used.
        used: set[int] = set()

        def pick(predicate: Any) -> ChecklistSlot | None:
            for slot in rng.sample(slots, len(slots)):
                if slot.index not in used and predicate(slot):
                    used.add(slot.index)
                    return slot
            return None

        for defect in defects:
            if defect == "missing":
                planted[defect] = pick(lambda s: True)
            elif defect in ("expired", "expires_before_decision"):
                planted[defect] = pick(lambda s: _has_validity(s.name))
            elif defect == "bad_checksum":
                planted[defect] = pick(lambda s: _kind(s.name) in ("id", "licence")) or "form"
            elif defect == "mismatch":
                planted[defect] = "form"
            elif defect in ("blank", "unreadable", "duplicate", "unreadable_file"):
                planted[defect] = pick(lambda s: _kind(s.name) != "photo")
            else:
                planted[defect] = True
        for slot in self.rules.checklist:
            if not slot.required:
                continue
            if planted.get("missing") is slot:
                package.defects.append(("missing", f"slot:{slot.index}"))
                continue
            self._add_slot(package, slot, person, planted, rng, rotate)
        if planted.get("bad_checksum") == "form":
            key = "统一社会信用代码" if self.enterprise and rng.random() < 0.5 else "身份证号"
            form[key] = break_checksum(form[key])
            package.defects.append(("bad_checksum", "form"))
        if "mismatch" in planted:
            other = applicant(rng)
            if self.enterprise and rng.random() < 0.5:
                form["统一社会信用代码"] = other.credit_code
            else:
                form["姓名"] = other.name if rng.random() < 0.5 else form["姓名"]
                if form["姓名"] == person.name:
                    form["身份证号"] = other.id_number
            if self._has_certificate():
                package.defects.append(("mismatch", "form"))
        if "not_required" in planted:
            name = rng.choice(("房屋租赁合同.pdf", "结婚证复印件.pdf", "个人简历.docx"))
            title = name.split(".")[0].replace("复印件", "")
            data = (
                text_pdf([[title, f"姓名：{person.name}", "本文件与申请事项无关。"]])
                if name.endswith(".pdf")
                else form_docx(title, [("姓名", person.name), ("经历", "2010年至今 从事相关工作")], [])
            )  # noqa: E501
            package.materials.append(Material(name, data))
            package.defects.append(("not_required", name))
        if "not_document" in planted:
            name = rng.choice(("IMG_20261203_101512.jpg", "微信图片_20261204.jpg"))
            package.materials.append(Material(name, jpeg(landscape(rng))))
            package.defects.append(("not_document", name))
        rng.shuffle(package.materials)
        return package

    def _has_certificate(self) -> bool:
        return any(s.required and _kind(s.name) in ("id", "licence") for s in self.rules.checklist)

    def _add_slot(
        self,
        package: Package,
        slot: ChecklistSlot,
        person: Applicant,
        planted: dict[str, Any],
        rng: random.Random,
        rotate: bool,
    ) -> None:  # noqa: E501
        title = clean_title(slot.name)
        stem = title if rng.random() < 0.6 else f"scan_{rng.randrange(1000, 9999)}"
        valid_until = date(2036, rng.randrange(1, 12), rng.randrange(1, 28))
        defect = next((d for d, s in planted.items() if s is slot), None)
        if defect == "expired":
            valid_until = package.today - timedelta(days=rng.randrange(10, 400))
        elif defect == "expires_before_decision":
            valid_until = package.today + timedelta(
                days=rng.randrange(3, (package.decision_due - package.today).days - 2)
            )
        signed = False
        kind = _kind(slot.name)
        if kind == "photo":
            name, data = f"{stem}.jpg", jpeg(photo(rng))
        elif kind in ("id", "licence", "certificate"):
            bad = (
                break_checksum(person.id_number if kind == "id" else person.credit_code)
                if defect == "bad_checksum"
                else None
            )
            if kind == "id":
                image = id_card(person, valid_until, bad)
            elif kind == "licence":
                image, signed = business_licence(person, valid_until, bad), True
            else:
                shown = valid_until if _has_validity(slot.name) else None
                image, signed = certificate(title, person, shown, rng), True
            quality = "poor" if defect == "unreadable" else "ok"
            turn = rng.choice((90, 180, 270)) if rotate and rng.random() < 0.3 and quality == "ok" else 0
            image = scanned(image, rng, quality, turn)
            if rng.random() < 0.25 and defect != "blank":
                name, data = f"{stem}.pdf", image_pdf([image])
            else:
                name, data = f"{stem}.jpg", jpeg(image, 40 if quality == "poor" else 85)
        elif defect == "unreadable":
            # A poor scan of a form or statement: drawn as a page, then blurred, faded and grainy.
            lines = [
                (title, 44),
                (f"姓名  {person.name}", 28),
                (f"公民身份号码  {person.id_number}", 28),
                ("申请人（签名）", 28),
            ]
            name, data = f"{stem}.jpg", jpeg(scanned(draw_page(lines, (1000, 900)), rng, "poor"), 40)
        else:
            signed = True
            if kind == "form" or rng.random() < 0.5:
                rows = [("姓名", person.name), ("公民身份号码", person.id_number), ("联系电话", person.phone)]
                if self.enterprise:
                    rows = [
                        ("单位名称", person.org_name),
                        ("统一社会信用代码", person.credit_code),
                        ("法定代表人", person.name),
                        ("联系电话", person.phone),
                    ]  # noqa: E501
                closing = [
                    "本人承诺所填内容真实有效。",
                    "申请人（签名）：" + person.name,
                    f"日期：{package.today:%Y年%m月%d日}",
                ]
                if self.enterprise:
                    closing.insert(1, "申请单位（盖章）")
                if rng.random() < 0.5 and defect not in ("blank", "duplicate"):
                    name, data = f"{stem}.docx", form_docx(title, rows, closing)
                else:
                    name, data = f"{stem}.pdf", text_pdf([[title, *[f"{k}：{v}" for k, v in rows], *closing]])
            else:
                lines = [
                    title,
                    f"兹有{person.name}（公民身份号码：{person.id_number}）申请办理{self.rules.name}。",
                    "特此证明。",
                    "出具单位（盖章）",
                    f"{package.today:%Y年%m月%d日}",
                ]  # noqa: E501
                name, data = f"{stem}.pdf", text_pdf([lines])
        if name in {m.name for m in package.materials}:
            name = f"{Path(name).stem}_{slot.index}{Path(name).suffix}"
        if defect == "unreadable_file":
            data = rng.choice((b"", data[: len(data) // 3], encrypted_pdf(text_pdf([[title, "加密文件"]]))))
            name = f"{Path(name).stem}.pdf" if data[:4] == b"%PDF" else name
        package.materials.append(Material(name, data))
        if signed and defect not in ("unreadable_file", "unreadable"):
            package.signed.add(name)
        if defect in ("unreadable", "unreadable_file"):
            package.defects.append((defect, name))
            package.consequences.add(("missing", f"slot:{slot.index}"))
        if defect in ("expired", "expires_before_decision"):
            package.defects.append((defect, name))
        if defect == "bad_checksum":
            package.defects.append((defect, name))
        if defect == "blank":
            blank_name = f"{Path(name).stem}_续页.jpg"
            package.materials.append(
                Material(blank_name, jpeg(scanned(Image.new("RGB", (1000, 1300), (250, 250, 248)), rng)))
            )
            package.defects.append(("blank", blank_name))
        if defect == "duplicate":
            copy_name = f"{Path(name).stem}(1){Path(name).suffix}"
            package.materials.append(Material(copy_name, data))
            package.defects.append(("duplicate", copy_name))
