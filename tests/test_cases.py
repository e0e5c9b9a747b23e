"""The case service on real SQLite and PostgreSQL over a small real catalogue: validation, the workflow
and its append-only history, materials without orphans, optimistic locking under concurrency, the
worklist, notices, and a process killed with SIGKILL in the middle of an upload-and-transition."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import docx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from stdnum.cn import uscc

from assistant.cases.errors import (
    BadApplicant,
    CaseConflict,
    CaseError,
    CaseForbidden,
    IllegalTransition,
    MaterialRefused,
    MaterialTooLarge,
    UnknownItem,
)
from assistant.cases.service import Actor, Applicant, CaseService, NewMaterial, Step, WorklistQuery
from assistant.db.models import CaseMaterial, CaseTransition, MaterialBlob

if TYPE_CHECKING:
    from case_fixtures import CaseCatalogue

    from assistant.components import Components

pytest_plugins = ["db_fixtures", "case_fixtures"]

PERSON = Applicant("person", "张三", "11010519491231002X", "13800138000")
STAFF = Actor("窗口一号", "staff")
ADMIN = Actor("科长", "admin")
APPLICANT = Actor("张三", "applicant")
REFUSAL = {"review_body": "广东省人民政府", "court": "广州铁路运输中级法院", "legal_basis": "《示例条例》第十条"}


def enterprise_code() -> str:
    base = "91440101MA5CXXXX0"
    return base + uscc.calc_check_digit(base)


def submit(cases: CaseService, items: list[str], materials: list[NewMaterial] | None = None) -> tuple[str, str]:
    submission = cases.create(PERSON, items, APPLICANT, form={"用途": "测试"}, materials=materials or [])
    return submission.case.number, submission.code


def test_identity_numbers_and_phone_are_checked(case_components: Components, case_catalogue: CaseCatalogue) -> None:
    cases, item = case_components.cases, case_catalogue.licensing[0]
    with pytest.raises(BadApplicant, match="校验位不符"):
        cases.create(Applicant("person", "张三", "110105194912310021", "13800138000"), [item], APPLICANT)
    with pytest.raises(BadApplicant, match="统一社会信用代码"):
        cases.create(Applicant("enterprise", "某公司", "91440101MA5CXXXX00", "020-12345678"), [item], APPLICANT)
    with pytest.raises(BadApplicant, match="电话号码"):
        cases.create(Applicant("person", "张三", PERSON.id_number, "12345"), [item], APPLICANT)
    company = cases.create(Applicant("enterprise", "某公司", enterprise_code().lower(), "020-12345678"), [item], STAFF)
    assert company.case.applicant.id_number == enterprise_code()
    assert cases.worklist(WorklistQuery()).total == 1  # nothing was stored for the refused ones


def test_an_unknown_item_is_named(case_components: Components) -> None:
    with pytest.raises(UnknownItem, match="NOSUCHITEM"):
        case_components.cases.create(PERSON, ["NOSUCHITEM"], APPLICANT)


def test_the_whole_flow_leaves_one_history_row_per_transition(
    case_components: Components, case_catalogue: CaseCatalogue
) -> None:
    cases = case_components.cases
    number, code = submit(cases, list(case_catalogue.licensing[:2]))
    case = cases.get(number)
    assert len(case.sub_cases) == 2 and case.state == "submitted" and case.version == 1
    assert case.deadline.due_on is not None and case.deadline.light in ("green", "yellow")  # §32's 5 days
    shared_slots = [s for s in case.checklist if len(s["items"]) == 2]
    assert shared_slots, "the two items share materials; the merged checklist lists them once"

    cases.transition(number, Step("start_prereview", "开始预审"), STAFF)
    corrected = cases.transition(number, Step("request_correction", "材料不全"), STAFF)
    findings = corrected.history[-1].details["findings"]
    assert {f["slot"] for f in findings} == {s["index"] for s in case.checklist if s["required"]}
    assert corrected.deadline.light == "none"  # waiting for the applicant: no clock
    files = [NewMaterial(f"m{s['index']}.pdf", f"第{s['index']}项".encode(), s["index"]) for s in case.checklist]
    resubmitted = cases.transition(number, Step("resubmit", "已补正"), APPLICANT, files)
    assert resubmitted.state == "prereview" and len(resubmitted.materials) == len(case.checklist)
    for action in ("accept", "start_review"):
        cases.transition(number, Step(action, "材料齐全"), STAFF)
    paused = cases.transition(number, Step("start_special", "需要现场鉴定", procedure="鉴定"), STAFF)
    assert paused.deadline.paused and paused.deadline.light == "none"
    cases.transition(number, Step("end_special", "鉴定完成"), STAFF)
    with pytest.raises(CaseForbidden):
        cases.transition(number, Step("extend", "情况复杂"), STAFF)
    extended = cases.transition(number, Step("extend", "情况复杂，经负责人批准"), ADMIN)
    assert extended.history[-1].details == {"days": 10, "approver": "科长"}
    outcomes = {0: "approved", 1: "denied"}
    cases.transition(number, Step("decide", "审查完毕", outcomes=outcomes, **REFUSAL), STAFF)
    done = cases.transition(number, Step("complete", "办结"), STAFF)

    assert done.state == "completed" and [s.outcome for s in done.sub_cases] == ["approved", "denied"]
    moves = [(t.from_state, t.to_state) for t in done.history]
    assert moves == [
        (None, "submitted"),
        ("submitted", "prereview"),
        ("prereview", "correction"),
        ("correction", "prereview"),
        ("prereview", "accepted"),
        ("accepted", "review"),
        ("review", "special"),
        ("special", "review"),
        ("review", "review"),
        ("review", "decided"),
        ("decided", "completed"),
    ]
    assert done.version == len(done.history)  # one version per step
    assert cases.open_as_applicant(number, code.lower()).number == number

    for kind, expected in (("correction", "补正告知书"), ("refusal", "不予许可决定书"), ("extension", "延期告知书")):
        name, data = cases.notice(number, kind)
        text_ = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert expected in text_ and number in text_, kind
    refusal = "\n".join(p.text for p in docx.Document(io.BytesIO(cases.notice(number, "refusal")[1])).paragraphs)
    assert "广东省人民政府" in refusal and "60日" in refusal and done.sub_cases[1].item_name in refusal
    with pytest.raises(CaseError, match="不予受理决定书"):
        cases.notice(number, "refusal-to-accept")


def test_an_illegal_transition_names_the_state_and_the_allowed_actions(
    case_components: Components, case_catalogue: CaseCatalogue
) -> None:
    cases = case_components.cases
    number, _ = submit(cases, [case_catalogue.licensing[0]])
    with pytest.raises(IllegalTransition) as raised:
        cases.transition(number, Step("decide", "直接决定", outcome="approved"), STAFF)
    message = str(raised.value)
    assert "已提交（submitted）" in message and "start_prereview" in message and "withdraw" in message
    with pytest.raises(CaseForbidden, match="staff"):
        cases.transition(number, Step("start_prereview", "我自己来"), APPLICANT)
    assert cases.transition(number, Step("withdraw", "不办了"), APPLICANT).state == "withdrawn"
    with pytest.raises(IllegalTransition, match="nothing"):
        cases.transition(number, Step("start_prereview", "x"), STAFF)
    assert len(cases.get(number).history) == 2


def test_history_rows_cannot_be_updated_or_deleted(case_components: Components, case_catalogue: CaseCatalogue) -> None:
    cases = case_components.cases
    number, _ = submit(cases, [case_catalogue.licensing[0]])
    cases.transition(number, Step("start_prereview", "开始"), STAFF)
    for statement in ("UPDATE case_transitions SET reason = 'rewritten'", "DELETE FROM case_transitions"):
        with pytest.raises(DBAPIError, match="append-only"), case_components.database.transaction() as session:
            session.execute(text(statement))
    assert [t.reason for t in cases.get(number).history] == ["提交申请", "开始"]


def test_materials_are_shared_by_content_and_deleting_cases_leaves_no_orphans(
    case_components: Components, case_catalogue: CaseCatalogue, tmp_path: Path
) -> None:
    cases, item = case_components.cases, case_catalogue.licensing[0]
    with pytest.raises(MaterialRefused, match="empty"):
        submit(cases, [item], [NewMaterial("空.pdf", b"", 0)])
    with pytest.raises(MaterialTooLarge, match="limit is 1 MiB"):
        submit(cases, [item], [NewMaterial("大.pdf", b"x" * (1024 * 1024 + 1), 0)])
    same = b"%PDF-1.4 the same identity card scan"
    first, _ = submit(cases, [item], [NewMaterial("身份证.pdf", same, 0)])
    second, _ = submit(cases, [item], [NewMaterial("id.pdf", same, 0), NewMaterial("other.pdf", b"other", 1)])
    db = case_components.database

    def counts() -> tuple[int, int]:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(MaterialBlob)), session.scalar(
                select(func.count()).select_from(CaseMaterial)
            )

    assert counts() == (2, 3)
    files_before = sorted(p.name for p in (tmp_path / "materials").glob("??/*"))
    with pytest.raises(MaterialRefused, match="slot 99"):  # the first file is stored before the second fails
        cases.upload(first, [NewMaterial("new.pdf", b"never kept", 0), NewMaterial("bad.pdf", b"x", 99)], STAFF)
    assert counts() == (2, 3) and sorted(p.name for p in (tmp_path / "materials").glob("??/*")) == files_before
    material = cases.get(first).materials[0]
    assert cases.material(first, material.id)[1] == same
    for number in (first, second):
        cases.transition(number, Step("withdraw", "撤回"), APPLICANT)
    with pytest.raises(CaseForbidden):
        cases.delete(first, STAFF)
    cases.delete(first, ADMIN)
    assert counts() == (2, 2)  # the shared scan survives: the second case still points at it
    assert cases.material(second, cases.get(second).materials[0].id)[1] == same
    cases.delete(second, ADMIN)
    assert counts() == (0, 0)
    files = [p for p in (tmp_path / "materials").glob("??/*")]
    assert files == []  # SQLite keeps bytes as files, PostgreSQL in the database: none left either way
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CaseTransition)) == 0


def test_two_staff_acting_at_once_one_wins_the_other_gets_the_current_case(
    case_components: Components, case_catalogue: CaseCatalogue
) -> None:
    cases = case_components.cases
    number, _ = submit(cases, [case_catalogue.licensing[0]])
    seen = cases.transition(number, Step("start_prereview", "开始"), STAFF).version
    barrier = threading.Barrier(2)
    results: list[object] = []

    def act(action: str) -> None:
        barrier.wait()
        try:
            results.append(cases.transition(number, Step(action, f"{action} by a thread", version=seen), STAFF))
        except CaseConflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=act, args=(a,)) for a in ("accept", "request_correction")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results if isinstance(r, CaseConflict)]
    winners = [r for r in results if not isinstance(r, CaseConflict)]
    assert len(winners) == 1 and len(conflicts) == 1
    current = cases.get(number)
    assert conflicts[0].case.version == current.version == seen + 1
    assert conflicts[0].case.state == winners[0].state == current.state  # type: ignore[attr-defined]
    assert len(current.history) == 3


def test_case_numbers_stay_unique_when_submitted_at_once(
    case_components: Components, case_catalogue: CaseCatalogue
) -> None:
    cases, item = case_components.cases, case_catalogue.licensing[0]
    cases.create(PERSON, [item], APPLICANT)  # load the catalogue once, before the race
    numbers: list[str] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        numbers.append(cases.create(PERSON, [item], APPLICANT).case.number)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == len(set(numbers)) == 6
    assert all(n.startswith("GD-") and len(n) == len("GD-20261206-00001") for n in numbers)


def test_the_worklist_sorts_by_deadline_and_filters(case_components: Components, case_catalogue: CaseCatalogue) -> None:
    cases = case_components.cases
    first, second, third = case_catalogue.licensing
    a, _ = submit(cases, [first])
    b, _ = submit(cases, [second])
    c, _ = submit(cases, [third])
    for number in (b, c):
        cases.transition(number, Step("start_prereview", "开始"), STAFF)
        cases.transition(number, Step("accept", "受理"), STAFF)
    cases.transition(c, Step("start_review", "审查"), STAFF)
    cases.transition(c, Step("start_special", "听证", procedure="听证"), STAFF)

    rows = cases.worklist(WorklistQuery()).cases
    dues = [r.deadline.due_on for r in rows]
    assert [r.number for r in rows][-1] == c and dues[-1] is None  # paused: no running deadline, last
    assert dues[:-1] == sorted(dues[:-1])  # type: ignore[type-var]
    assert rows[0].number == a  # §32's 5 days come before any decision period
    assert [r.number for r in cases.worklist(WorklistQuery(states=("accepted",))).cases] == [b]
    assert [r.number for r in cases.worklist(WorklistQuery(item_id=third)).cases] == [c]
    department = case_catalogue.records[second]["DEPT_NAME"]
    assert b in [r.number for r in cases.worklist(WorklistQuery(department=department)).cases]
    assert [r.number for r in cases.worklist(WorklistQuery(light="none")).cases] == [c]
    lit = {r.number: r.deadline.light for r in rows}
    for light in ("green", "yellow", "red"):
        assert {r.number for r in cases.worklist(WorklistQuery(light=light)).cases} == {
            n for n, v in lit.items() if v == light
        }
    page = cases.worklist(WorklistQuery(page=2, page_size=2))
    assert page.total == 3 and [r.number for r in page.cases] == [rows[2].number]
    with pytest.raises(CaseError, match="unknown state"):
        cases.worklist(WorklistQuery(states=("nosuch",)))


KILLER = r"""
import os, signal, sys
from sqlalchemy.orm.session import SessionTransaction
from assistant.cases.blobs import BlobStore
from assistant.cases.service import Actor, NewMaterial, Step
from assistant.components import Components
from case_fixtures import case_settings, CaseCatalogue
from pathlib import Path

point, number, data_dir, url, materials = sys.argv[1:6]
settings = case_settings(CaseCatalogue(Path(data_dir), (), {}), url, Path(materials))
cases = Components(settings).cases

def die(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "after_first_blob":  # the first material's bytes stored (a file, or a row), nothing committed
    real_put = BlobStore.put
    def put(self, session, data):
        digest = real_put(self, session, data)
        die()
    BlobStore.put = put
if point == "before_commit":  # every row of the step written, not committed
    SessionTransaction.commit = die
if point == "after_commit":  # committed, the process gone before it could answer
    real_commit = SessionTransaction.commit
    def commit(self, *a, **k):
        real_commit(self, *a, **k)
        if self._parent is None:  # the database commit, not a flush's inner transaction
            die()
    SessionTransaction.commit = commit
tag = point.encode()
files = [NewMaterial("补正1.pdf", b"corrected one " + tag, 0), NewMaterial("补正2.pdf", b"two " + tag, 1)]
cases.transition(number, Step("resubmit", "已补正"), Actor("张三", "applicant"), files)
print("finished without being killed")
"""


@pytest.mark.parametrize("point", ["after_first_blob", "before_commit", "after_commit"])
def test_kill_9_in_an_upload_and_transition_leaves_all_of_the_step_or_none(
    point: str, case_components: Components, case_catalogue: CaseCatalogue, database_url: str, tmp_path: Path
) -> None:
    cases = case_components.cases
    number, _ = submit(cases, [case_catalogue.licensing[0]])
    cases.transition(number, Step("start_prereview", "开始"), STAFF)
    before = cases.transition(number, Step("request_correction", "缺材料"), STAFF)
    case_components.close()  # the child opens the same database (and materials folder) on its own

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), str(Path(__file__).parent)])}
    args = [point, number, str(case_catalogue.data_dir), database_url, str(tmp_path / "materials")]
    child = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]

    after = case_components.cases.get(number)
    if point == "after_commit":
        assert after.state == "prereview" and len(after.materials) == 2 and after.version == before.version + 1
        assert after.history[-1].action == "resubmit"
    else:
        assert after.state == "correction" and after.materials == [] and after.version == before.version
        assert len(after.history) == len(before.history)
    for material in after.materials:  # every referenced blob is there, with its bytes
        assert case_components.cases.material(number, material.id)[1].startswith((b"corrected one", b"two"))
    case_components.cases.sweep_blobs()
    with case_components.database.transaction() as session:
        blobs = set(session.scalars(select(MaterialBlob.sha256)))
        referenced = set(session.scalars(select(CaseMaterial.sha256)))
    assert blobs == referenced
    files = {p.name for p in (tmp_path / "materials").glob("??/*")}
    assert files <= blobs  # no file left that nothing refers to


def test_the_cli_runs_a_case_through_the_same_service(
    case_catalogue: CaseCatalogue,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from assistant.cli import main
    from assistant.config import get_settings

    for name, value in (
        ("DATA_DIR", case_catalogue.data_dir),
        ("DATABASE_URL", database_url),
        ("MATERIALS_PATH", tmp_path / "materials"),
    ):
        monkeypatch.setenv(f"ASSISTANT_{name}", str(value))
    get_settings.cache_clear()
    scan = tmp_path / "身份证.pdf"
    scan.write_bytes(b"%PDF scan")
    item = case_catalogue.licensing[0]
    try:
        applicant = ["--name", "张三", "--id-number", PERSON.id_number, "--phone", PERSON.phone]
        assert main(["case", "create", "--item", item, *applicant, "--file", str(scan), "--slot", "0", "--json"]) == 0
        created = json.loads(capsys.readouterr().out)
        number = created["case"]["number"]
        assert created["code"] and created["case"]["materials"][0]["name"] == "身份证.pdf"
        assert main(["case", "transition", number, "start_prereview", "--reason", "开始预审"]) == 0
        assert main(["case", "transition", number, "accept", "--reason", "齐全", "--version", "2"]) == 0
        capsys.readouterr()
        assert main(["case", "transition", number, "accept", "--reason", "again"]) == 1
        assert "受理（accepted）" in capsys.readouterr().err
        assert main(["case", "list", "--state", "accepted", "--json"]) == 0
        assert [c["number"] for c in json.loads(capsys.readouterr().out)["cases"]] == [number]
        assert main(["case", "show", number]) == 0
        assert "start_prereview" in capsys.readouterr().out
        out = tmp_path / "acceptance.docx"
        assert main(["case", "notice", number, "受理通知书", "--out", str(out)]) == 0
        assert "受理通知书" in "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    finally:
        get_settings.cache_clear()
