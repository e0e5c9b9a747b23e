"""Prompt-lookup speculative decoding changes the speed, never the text: the real 0.5B model, greedy, both ways.

The product decodes on a second copy of the model with its Q4 weights repacked (``cpu_repack``); that is
checked against plain greedy decoding too, and the weights it picks against the GGUF file's own types.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.prompts import answer_messages
from assistant.config import Settings
from assistant.models.cpu_repack import REPACKABLE_TYPES, gguf_tensor_types, repacked_weights
from assistant.models.llama_cpp_llm import LlamaCppLLM, _until_stop
from assistant.models.provision import provision, resolve_gguf

SMALL = "qwen2.5-coder-0.5b-instruct"


@pytest.fixture(scope="module")
def model_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("lookup-data")
    settings = Settings(data_dir=data_dir, llm_backend="llama-cpp", llm_model=SMALL, llm_threads=2)
    provision(settings, only=[SMALL])
    yield settings
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("decode_repack", [False, True], ids=["same-weights", "repacked-decoder"])
def test_prompt_lookup_writes_exactly_what_plain_greedy_decoding_writes(
    model_settings: Settings, opinion_text: str, decode_repack: bool
) -> None:
    path = resolve_gguf(model_settings)
    # Flash attention on, as the product's default runs.
    plain = LlamaCppLLM(path, context_tokens=2048, threads=2, flash_attention=True)
    lookup = LlamaCppLLM(
        path, context_tokens=2048, threads=2, prompt_lookup=10, flash_attention=True, decode_repack=decode_repack
    )
    assert lookup.repacked_decoding == decode_repack and not plain.repacked_decoding
    # Longer than one llama.cpp batch (512 tokens): the draft model's logits must cover the whole prompt.
    blocks = [f"[{n}]{opinion_text[i : i + 450]}" for n, i in enumerate(range(2400, 4200, 600), start=1)]
    messages = answer_messages("算力券、数据券和模型券分别补贴什么？", blocks)
    assert plain.count_prompt_tokens(messages) > 512
    try:
        expected = plain.chat(messages, max_tokens=64)
        assert len(expected) > 8
        assert lookup.chat(messages, max_tokens=64) == expected
        assert "".join(lookup.stream_chat(messages, max_tokens=64)) == expected  # again, from the cached prompt
        # A new question after the same passages: only the prompt's changed tail is read again.
        follow_up = answer_messages("模型券的补贴比例是多少？", blocks)
        assert lookup.chat(follow_up, max_tokens=48) == plain.chat(follow_up, max_tokens=48)
        assert lookup.chat(messages, max_tokens=5) == plain.chat(messages, max_tokens=5)
    finally:
        plain.close()
        lookup.close()


def test_the_repacked_weights_are_the_gguf_files_q4_matrices(model_settings: Settings) -> None:
    types = gguf_tensor_types(resolve_gguf(model_settings))
    q4_k, q6_k = 12, 14  # Qwen2.5 Q4_K_M: most matrices Q4_K, some Q6_K, norms and biases F32
    assert {q4_k, q6_k} <= set(types.values()) and len(types) > 200
    chosen = repacked_weights(resolve_gguf(model_settings))
    assert chosen and all(types[name] in REPACKABLE_TYPES for name in chosen)
    assert "token_embd.weight" not in chosen  # a lookup table, not a matrix product
    assert not any(types[name] == q6_k for name in chosen)  # llama.cpp 0.3.36 cannot repack Q6_K
    assert {name for name, kind in types.items() if kind == q4_k and name != "token_embd.weight"} == set(chosen)


def test_a_file_that_is_not_gguf_is_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ValueError, match=r"model\.gguf is not a GGUF file"):
        gguf_tensor_types(fake)
    fake.write_bytes(b"GGUF\x03\x00\x00\x00\x05")  # a header cut short
    with pytest.raises(ValueError, match="unreadable GGUF header"):
        gguf_tensor_types(fake)


@pytest.mark.parametrize(
    ("pieces", "stop", "expected"),
    [
        (["资料", "中没", "有提到", "。"], ["没有"], "资料中"),  # a stop string split across pieces
        (["答：", "是", "。"], ["。\n"], "答：是。"),  # a stop string's start at the very end is given back
        (["一", "二"], [], "一二"),
    ],
)
def test_until_stop_cuts_at_the_first_stop_string(pieces: list[str], stop: list[str], expected: str) -> None:
    assert "".join(_until_stop(pieces, stop)) == expected
