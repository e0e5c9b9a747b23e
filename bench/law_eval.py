"""Statute retrieval: the product against a plain LangChain-style hybrid, on one statute library, in one run.

    .venv/bin/python -m bench.law_eval [--out bench/out/law_eval] [--no-baseline] [--json]

Corpus (``library()``), from the law library mirror (bench/laws.py, read outside git): the 43 statutes
of the first set (``NATIONAL``, ``LOCAL``: with the older versions of two of them), plus, by a fixed
rule, the newest version of every national law and administrative regulation whose title holds one of
``TOPICS`` and of every local regulation (地方性法规 of the seven provinces in the mirror, their
cities included) whose title holds one of ``LOCAL_TOPICS``: what citizens and enterprises ask about
(labour, wages, social insurance, consumers, property management, elderly care, disability, minors,
legal aid, business environment …). The library's version history becomes sidecars: each older version
says ``已修订``, the newest ``现行有效``.

Questions: ``eval/statutes_qa.jsonl`` (our own; ``kind`` citizen = does not name the article,
named_article = names it, region = names a place; ``split`` dev/holdout). A hit is a passage holding
the row's key, a phrase found in its gold articles only (its ``article`` and ``also``; checked here first).

Systems, all with the same e5 encoder:
- ``plain hybrid``: the file texts cut by LangChain's RecursiveCharacterTextSplitter (500 characters,
  overlap 50), e5 dense + jieba BM25 (rank_bm25), each top 40 fused by RRF (k=60);
- ``product, no region preference``: the product with ``region_depth`` 0 (place names ignored, and
  national statutes not put before local ones for a question naming no place): the fused order;
- ``product``: the product as shipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import jieba
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter
from rank_bm25 import BM25Okapi

from assistant.components import Components
from assistant.config import get_settings
from assistant.eval.harness import QARow, evaluate, first_hit_rank, load_qa
from assistant.models.embedding import Embedder
from assistant.retrieval.store import SearchFilter
from bench.laws import articles, export, listing
from bench.stats import scratch_settings

REPO = Path(__file__).resolve().parent.parent
QA_FILE = REPO / "eval" / "statutes_qa.jsonl"
NATIONAL = [
    "社会法/劳动合同法(2012-12-28).md", "社会法/劳动法(2018-12-29).md", "社会法/就业促进法(2015-04-24).md",
    "社会法/残疾人保障法(2018-10-26).md", "社会法/社会保险法(2018-12-29).md",
    "民法商法/消费者权益保护法(2013-10-25).md", "经济法/个人所得税法(2018-08-31).md",
    "行政法/个人信息保护法(2021-08-20).md", "行政法/义务教育法(2018-12-29).md", "行政法/治安管理处罚法(2012-10-26).md",
    "行政法/行政许可法(2019-04-23).md", "行政法/道路交通安全法(2021-04-29).md",
    "行政法规/优化营商环境条例(2019-10-22).md", "行政法规/住房公积金管理条例(2019-03-24).md",
    "行政法规/保障农民工工资支付条例(2019-12-30).md", "行政法规/劳动合同法实施条例(2008-09-18).md",
    "行政法规/医疗保障基金使用监督管理条例(2021-01-15).md", "行政法规/居住证暂行条例(2015-11-26).md",
    "行政法规/工伤保险条例(2010-12-20).md", "行政法规/社会救助暂行办法(2019-03-02).md",
    "行政法规/职工带薪年休假条例(2007-12-14).md", "行政法规/行政复议法实施条例(2007-05-29).md",
    "诉讼与非诉讼程序法/行政复议法(2017-09-01).md", "诉讼与非诉讼程序法/行政复议法(2023-09-01).md",
]  # fmt: skip
_LOCAL = "DLC/{0}地方法规/地方性法规/{0}/"
LOCAL = [
    _LOCAL.format("上海") + "上海市优化营商环境条例(2020-04-10).md",
    _LOCAL.format("上海") + "上海市优化营商环境条例(2024-09-27).md",
    _LOCAL.format("上海") + "上海市实施《残疾人保障法》办法(2017-11-23).md",
    _LOCAL.format("上海") + "上海市消费者权益保护条例.md",
    _LOCAL.format("北京") + "北京市优化营商环境条例(2024-11-29).md",
    _LOCAL.format("北京") + "北京市实施《残疾人保障法》办法(2019-05-30).md",
    _LOCAL.format("北京") + "北京市实施《消费者权益保护法》办法.md",
    _LOCAL.format("山东") + "山东省优化营商环境条例(2020-09-25).md",
    _LOCAL.format("山东") + "山东省实施《残疾人保障法》办法(2017-03-29).md",
    _LOCAL.format("山东") + "山东省消费者权益保护条例(2017-03-29).md",
    _LOCAL.format("山东") + "青岛市优化营商环境条例(2021-01-28).md",
    _LOCAL.format("广东") + "广东省优化营商环境条例(2022-06-01).md",
    _LOCAL.format("河南") + "河南省优化营商环境条例(2020-11-28).md",
    _LOCAL.format("河南") + "河南省实施《残疾人保障法》办法(2012-07-27).md",
    _LOCAL.format("河南") + "河南省工伤保险条例(2007-06-01).md",
    _LOCAL.format("浙江") + "浙江省实施《消费者权益保护法》办法(2017-03-31).md",
    _LOCAL.format("浙江") + "浙江省工伤保险条例(2020-09-24).md",
    _LOCAL.format("重庆") + "重庆市优化营商环境条例(2021-03-31).md",
    _LOCAL.format("重庆") + "重庆市残疾人保障条例(2011-11-25).md",
]
NATIONAL_FOLDERS = ("社会法/", "民法商法/", "行政法/", "经济法/", "行政法规/", "诉讼与非诉讼程序法/")
TOPICS = (
    "劳动", "工资", "社会保险", "工伤", "失业", "养老", "医疗保障", "消费者", "住房", "物业", "就业", "残疾人",
    "老年人", "妇女", "未成年人", "义务教育", "道路交通", "个人所得税", "营商环境", "公积金", "居住证", "社会救助",
    "行政复议", "行政许可", "治安", "个人信息", "法律援助", "食品安全", "电子商务", "反家庭暴力", "退役军人",
    "产品质量", "市场主体", "税收征收",
)  # fmt: skip
LOCAL_TOPICS = (
    "营商环境", "残疾人", "消费者", "工伤", "物业", "养老", "就业", "工资", "劳动", "社会救助", "未成年人",
    "老年人", "住房", "电梯", "法律援助", "居住证", "医疗保障", "家政",
)  # fmt: skip
_VERSION = re.compile(r"^(.*?)(?:\((\d{4}-\d{2}-\d{2})\))?$")
RRF_K, CANDIDATES, TOP_K = 60, 40, 10


def library(names: list[str]) -> list[str]:
    """The statutes of the eval among the mirror's ``names``: the first set and, by the topic rule, the
    newest version of each matching title (one per folder and title)."""
    newest: dict[tuple[str, str], tuple[str, str]] = {}
    for name in names:
        folder, _, stem = name.rpartition("/")
        match = _VERSION.match(stem.removesuffix(".md"))
        assert match is not None
        title, day = match.group(1), match.group(2) or ""
        if name.startswith(NATIONAL_FOLDERS):
            topics = TOPICS
        elif name.startswith("DLC/") and "/地方性法规/" in name:
            topics = LOCAL_TOPICS
        else:
            continue
        if any(t in title for t in topics) and newest.get((folder, title), ("", ""))[0] <= day:
            newest[(folder, title)] = (day, name)
    return sorted({*NATIONAL, *LOCAL, *(name for _, name in newest.values())})


def build_corpus(folder: Path) -> list[Path]:
    """The statutes as .md files with version sidecars (older versions 已修订, the newest 现行有效)."""
    files = export(library(listing()), folder)
    versions: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for path in files:
        match = _VERSION.match(path.stem)
        assert match is not None
        versions[match.group(1)].append((match.group(2) or "", path))
    for group in versions.values():
        group.sort()
        for i, (_, path) in enumerate(group):
            status = "现行有效" if i == len(group) - 1 else "已修订"
            sidecar = path.with_name(path.name + ".meta.json")
            sidecar.write_text(json.dumps({"status": status}, ensure_ascii=False), encoding="utf-8")
    return files


def check_keys(rows: list[QARow], files: list[Path]) -> list[str]:
    """Rows whose key is not in their gold article, or is in an article that is not gold.

    A row's gold is its ``law`` and ``article`` (any version of that statute) plus the ``also`` pairs:
    other statutes' articles that repeat the rule word for word (a local regulation copying the
    national one) and so answer the question too.
    """
    by_article = [a for path in files for a in articles(path, "")]
    problems = []
    for row in rows:
        gold = [(row.extra["law"], row.extra["article"]), *(tuple(pair) for pair in row.extra.get("also", []))]
        holders = {(a.law, a.label) for a in by_article if _squash(row.keys[0]) in _squash(a.text)}
        golden = {(law, label) for law, label in holders if any(law.endswith(g) and label == n for g, n in gold)}
        if not golden or holders - golden:
            problems.append(f"{row.q}: key in {sorted(holders)}")
    return problems


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class CachedEmbedder(Embedder):
    """An embedder that remembers the vectors of texts it embedded, on disk between runs (bench only).

    Runs that change only the query side or the sparse side, or that rebuild the plain hybrid, then
    embed nothing twice; a text embeds to the same vector whichever run asks.
    """

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path) as saved:
                self.vectors = {key: saved[key] for key in saved.files}

    def _cached(self, texts: Sequence[str], kind: str, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        keys = [hashlib.sha1(f"{self.name}:{kind}:{t}".encode()).hexdigest() for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            self.vectors.update(zip(missing, embed([text_of[k] for k in missing]), strict=True))
        return np.stack([self.vectors[k] for k in keys]) if keys else np.empty((0, self.dim), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached(texts, "passage", self.inner.embed_passages)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached(texts, "query", self.inner.embed_queries)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, **self.vectors)


class PlainHybrid:
    """The plain baseline: recursive splitter, e5, jieba BM25, RRF; nothing of the product."""

    def __init__(self, embedder: Embedder, files: list[Path]) -> None:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=500, chunk_overlap=50, separators=["\n\n", "\n", "。", "；", "，", ""]
        )
        self.embedder = embedder
        self.chunks = [c for f in files for c in splitter.split_text(f.read_text(encoding="utf-8"))]
        vectors = np.asarray(embedder.embed_passages(self.chunks), dtype=np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.bm25 = BM25Okapi([jieba.lcut_for_search(c) for c in self.chunks])

    def search(self, query: str, k: int) -> list[str]:
        q = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        dense = np.argsort(-(self.vectors @ (q / np.linalg.norm(q))))[:CANDIDATES]
        sparse = np.argsort(-self.bm25.get_scores(jieba.lcut_for_search(query)))[:CANDIDATES]
        fused: dict[int, float] = defaultdict(float)
        for ranking in (dense, sparse):
            for rank, index in enumerate(ranking):
                fused[int(index)] += 1 / (RRF_K + rank + 1)
        return [self.chunks[i] for i in sorted(fused, key=lambda i: -fused[i])[:k]]


def recalls(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {f"r@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 3) for k in (1, 5, 10)}


def groups(rows: list[QARow]) -> dict[str, list[int]]:
    """Row indexes per (kind, split)."""
    found: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        found[f"{row.extra['kind']}/{row.extra['split']}"].append(i)
    return dict(sorted(found.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "law_eval", help="scratch folder")
    parser.add_argument("--no-baseline", action="store_true", help="only the product")
    parser.add_argument("--only-baseline", action="store_true", help="only the plain hybrid")
    parser.add_argument("--keep", action="store_true", help="reuse the store of an earlier run (unchanged files)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if not args.keep:
        for scratch in ("corpus", "data"):
            shutil.rmtree(args.out / scratch, ignore_errors=True)
    files = build_corpus(args.out / "corpus")
    rows = load_qa(QA_FILE)
    for problem in check_keys(rows, files):
        print(f"key check: {problem}")
    data = args.out / "data"
    settings = (
        scratch_settings(get_settings(), data)
        if not data.exists()
        else get_settings().model_copy(update={"data_dir": data})
    )
    components = Components(settings)
    embedder = CachedEmbedder(components.embedder, args.out / "vectors.npz")
    components.__dict__["embedder"] = embedder  # the ingest, the searcher and the baseline all use the cache
    results: dict[str, list[int | None]] = {}
    try:
        if args.only_baseline:
            baseline = PlainHybrid(components.embedder, files)
            results["plain hybrid"] = [first_hit_rank(baseline.search(r.q, TOP_K), r.keys) for r in rows]
            return report_table(results, rows, args.json)
        summary = components.ingestor.ingest_paths([args.out / "corpus"])
        print(f"product: {summary.count('added')} statutes, {summary.chunks} passages in {summary.seconds:.0f} s")
        flt = SearchFilter()
        report = evaluate(components.searcher, rows, top_k=TOP_K, flt=flt)
        results["product"] = [r.rank for r in report.results]
        if "region_depth" in type(settings).model_fields:
            components.searcher.settings = settings.model_copy(update={"region_depth": 0})
            report = evaluate(components.searcher, rows, top_k=TOP_K, flt=flt)
            results["product, no region preference"] = [r.rank for r in report.results]
            components.searcher.settings = settings
        if not args.no_baseline:
            baseline = PlainHybrid(components.embedder, files)
            print(f"plain hybrid: {len(baseline.chunks)} passages")
            results["plain hybrid"] = [first_hit_rank(baseline.search(r.q, TOP_K), r.keys) for r in rows]
    finally:
        embedder.save()
        components.close()
    report_table(results, rows, args.json)


def report_table(results: dict[str, list[int | None]], rows: list[QARow], as_json: bool) -> None:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for system, ranks in results.items():
        table[system] = {name: recalls([ranks[i] for i in idx]) for name, idx in groups(rows).items()}
    if as_json:
        print(json.dumps(table, ensure_ascii=False))
        return
    print("| system | set (rows) | recall@1 | recall@5 | recall@10 |\n| --- | --- | --- | --- | --- |")
    for system, by_group in table.items():
        for name, values in by_group.items():
            size = len(groups(rows)[name])
            print(f"| {system} | {name} ({size}) | {values['r@1']} | {values['r@5']} | {values['r@10']} |")


if __name__ == "__main__":
    main()
