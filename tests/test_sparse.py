"""The BM25 sparse encoder on real jieba: stable ids, term weights, stopwords, added words."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.retrieval.sparse import K1, SparseEncoder, term_id

PASSAGE = "企业申请算力券，应当通过省算力服务平台提交申请材料，经审核后发放算力券。"


@pytest.fixture(scope="module")
def encoder() -> SparseEncoder:
    return SparseEncoder()


def weight_of(vector, term: str) -> float:
    return dict(zip(vector.indices, vector.values, strict=True))[term_id(term)]


def test_term_ids_are_the_same_in_another_process(encoder: SparseEncoder) -> None:
    script = (
        "import json, sys\n"
        "from assistant.retrieval.sparse import SparseEncoder\n"
        "v = SparseEncoder().encode_passage(sys.argv[1])\n"
        "print(json.dumps([v.indices, v.values]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different str hash than this process's
    out = subprocess.run(
        [sys.executable, "-c", script, PASSAGE], capture_output=True, text=True, check=True, env=env, timeout=60
    )
    indices, values = json.loads(out.stdout)
    here = encoder.encode_passage(PASSAGE)
    assert indices == here.indices
    assert values == pytest.approx(here.values)
    assert all(0 <= i < 2**32 for i in indices)


def test_tokens_drop_punctuation_stopwords_and_lowercase(encoder: SparseEncoder) -> None:
    tokens = encoder.tokens("AI政策的申请，和 Hello！")
    assert tokens == ["ai", "政策", "申请", "hello"]


def test_query_weighs_each_distinct_term_once(encoder: SparseEncoder) -> None:
    query = encoder.encode_query("算力券 算力券 怎么申请？")
    assert sorted(query.indices) == sorted({term_id("算力券"), term_id("申请")})
    assert query.values == [1.0, 1.0]
    assert query.indices == sorted(query.indices)


def test_repeated_term_weighs_more_and_saturates(encoder: SparseEncoder) -> None:
    # Same passage length (10 tokens) with the term 1, 2, 3 and 6 times.
    filler = ["政策", "企业", "资金", "项目", "平台", "服务", "材料", "审核", "补贴", "标准"]

    def weight(repeats: int) -> float:
        text = " ".join(["算力"] * repeats + filler[: 10 - repeats])
        return weight_of(encoder.encode_passage(text), "算力")

    w1, w2, w3, w6 = weight(1), weight(2), weight(3), weight(6)
    assert w1 < w2 < w3 < w6 < K1 + 1
    assert (w2 - w1) > (w3 - w2) > (w6 - w3) / 3


def test_longer_passage_lowers_a_term_weight(encoder: SparseEncoder) -> None:
    short = encoder.encode_passage("算力 政策")
    long = encoder.encode_passage("算力 " + "政策 企业 资金 项目 平台 服务 材料 审核 补贴 标准 " * 40)
    assert weight_of(long, "算力") < weight_of(short, "算力")


def test_added_words_stay_whole(encoder: SparseEncoder) -> None:
    name = "数智赋能券"
    assert name not in encoder.tokens(f"申领{name}的条件")
    encoder.add_words([name, "  "])
    assert name in encoder.tokens(f"申领{name}的条件")
    assert term_id(name) in encoder.encode_query(f"{name}怎么申领").indices


def test_text_without_terms_gives_an_empty_vector(encoder: SparseEncoder) -> None:
    assert encoder.encode_query("的了，。！").indices == []
    assert encoder.encode_passage("   ").indices == []
