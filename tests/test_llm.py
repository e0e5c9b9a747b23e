"""The chat-model backends on the real bundled 0.5B model: streaming, stopping, one-at-a-time, token counts,
and the OpenAI-compatible client against a real HTTP server on 127.0.0.1 that serves that same model."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse

from assistant.config import Settings
from assistant.models.llama_cpp_llm import LlamaCppLLM
from assistant.models.llm import ChatLLM, LLMError, Message
from assistant.models.llm_factory import get_llm
from assistant.models.openai_llm import OpenAIChatLLM
from assistant.models.provision import ProvisionError, provision, resolve_gguf

SMALL = "qwen2.5-coder-0.5b-instruct"
QUESTION: list[Message] = [
    {"role": "system", "content": "你是政务服务助手，用简洁的中文回答。"},
    {"role": "user", "content": "用一句话说明什么是政务服务。"},
]


@pytest.fixture(scope="session")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The small bundled model provisioned once into a session data directory (no process-wide env change)."""
    data_dir = tmp_path_factory.mktemp("llm-data")
    settings = Settings(data_dir=data_dir, llm_backend="llama-cpp", llm_model=SMALL, llm_threads=2)
    provision(settings, only=[SMALL])
    yield settings
    shutil.rmtree(data_dir, ignore_errors=True)  # no model-sized files left in pytest's kept tmp dirs


@pytest.fixture(scope="session")
def llm(llm_settings: Settings) -> ChatLLM:
    return get_llm(llm_settings)


@pytest.mark.slow
def test_the_factory_loads_one_model_per_process(llm_settings: Settings, llm: ChatLLM) -> None:
    assert isinstance(llm, LlamaCppLLM)
    assert get_llm(llm_settings) is llm
    assert (llm.name, llm.context_tokens, llm.max_concurrent) == (SMALL, llm_settings.llm_context, 1)


@pytest.mark.slow
def test_streamed_pieces_make_the_same_reply_as_chat(llm: ChatLLM) -> None:
    before = llm.generations
    pieces = list(llm.stream_chat(QUESTION, max_tokens=32))
    assert len(pieces) > 1 and all(pieces)
    assert llm.chat(QUESTION, max_tokens=32) == "".join(pieces)  # greedy decoding is deterministic
    assert llm.generations == before + 2


@pytest.mark.slow
def test_counts_come_from_the_real_tokenizer(llm: ChatLLM) -> None:
    text = "吉林省加快推进人工智能创新发展实施意见"
    assert llm.count_tokens("") == 0
    assert 0 < llm.count_tokens(text) < len(text)  # Qwen merges common Chinese words
    assert llm.count_tokens(text * 2) == 2 * llm.count_tokens(text)
    content = sum(llm.count_tokens(m["content"]) for m in QUESTION)
    assert content < llm.count_prompt_tokens(QUESTION) <= content + 20  # role markers of the chat template


@pytest.mark.slow
def test_closing_the_stream_stops_generation_and_frees_the_model(llm: ChatLLM) -> None:
    stream = llm.stream_chat(QUESTION, max_tokens=400)
    assert next(stream)
    assert llm.busy()
    started = time.monotonic()
    stream.close()
    assert not llm.busy()
    assert time.monotonic() - started < 0.5  # 400 tokens would take seconds
    assert llm.chat(QUESTION, max_tokens=4)  # the model is usable again at once


@pytest.mark.slow
def test_a_second_generation_waits_for_the_first(llm: ChatLLM) -> None:
    first = llm.stream_chat(QUESTION, max_tokens=400)
    next(first)
    second_done = threading.Event()

    def second() -> None:
        llm.chat(QUESTION, max_tokens=4)
        second_done.set()

    worker = threading.Thread(target=second)
    worker.start()
    assert not second_done.wait(1.0)  # blocked while the first holds the model
    first.close()
    assert second_done.wait(30)
    worker.join()


def test_impossible_requests_are_refused_before_generating(llm_settings: Settings) -> None:
    tiny = LlamaCppLLM(resolve_gguf(llm_settings), context_tokens=512, threads=1)
    with pytest.raises(LLMError, match="context window holds 512"):
        tiny.stream_chat([{"role": "user", "content": "政务服务" * 2000}], max_tokens=8)
    with pytest.raises(LLMError, match="max_tokens"):
        tiny.stream_chat(QUESTION, max_tokens=0)
    with pytest.raises(LLMError, match="at least one message"):
        tiny.stream_chat([], max_tokens=8)
    with pytest.raises(LLMError, match="role"):
        tiny.stream_chat([{"role": "robot", "content": "hi"}], max_tokens=8)
    assert tiny.generations == 0


def test_backend_choice_errors_say_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(LLMError, match="ASSISTANT_LLM_BASE_URL"):
        get_llm(Settings(data_dir=tmp_path, llm_backend="openai"))
    with pytest.raises(ProvisionError, match="neither a bundled model"):
        get_llm(Settings(data_dir=tmp_path, llm_backend="llama-cpp", llm_model="no-such-model"))
    with pytest.raises(ProvisionError, match="not provisioned"):
        get_llm(Settings(data_dir=tmp_path, llm_backend="llama-cpp", llm_model=SMALL))


def test_openai_token_estimate_errs_high_for_chinese() -> None:
    remote = OpenAIChatLLM("http://127.0.0.1:9/v1", None, "m", 4096)
    assert remote.count_tokens("政务服务便民热线") == 8
    assert remote.count_tokens("hello world!") == 4


def test_an_unreachable_server_is_a_clear_error() -> None:
    remote = OpenAIChatLLM(f"http://127.0.0.1:{_free_port()}/v1", None, SMALL, 4096)
    with pytest.raises(LLMError, match="failed: ConnectError"):
        remote.chat(QUESTION, max_tokens=8)


# --- a real OpenAI-compatible server: the chat-completions SSE protocol over the real local model ---

API_KEY = "test-key"


def _openai_app(model: ChatLLM) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def completions(body: dict, authorization: str | None = Header(default=None)) -> StreamingResponse:
        if authorization != f"Bearer {API_KEY}":
            raise HTTPException(status_code=401, detail="invalid API key")

        def events() -> Iterator[str]:
            pieces = model.stream_chat(body["messages"], body["max_tokens"], body["temperature"], body.get("stop"))
            for piece in pieces:
                chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]}
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.fixture(scope="module")
def openai_server(llm: ChatLLM) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(_openai_app(llm), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(10)


@pytest.mark.slow
def test_openai_backend_streams_what_the_server_generates(openai_server: str, llm: ChatLLM) -> None:
    remote = OpenAIChatLLM(openai_server, API_KEY, SMALL, 4096)
    pieces = list(remote.stream_chat(QUESTION, max_tokens=32))
    assert len(pieces) > 1
    assert "".join(pieces) == llm.chat(QUESTION, max_tokens=32)
    assert remote.name == f"openai:{SMALL}" and remote.generations == 1


@pytest.mark.slow
def test_openai_backend_reports_a_refusal(openai_server: str) -> None:
    remote = OpenAIChatLLM(openai_server, "wrong-key", SMALL, 4096)
    with pytest.raises(LLMError, match="HTTP 401.*invalid API key"):
        remote.chat(QUESTION, max_tokens=8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
