"""The OpenAI-compatible endpoints, driven by the official `openai` client against the real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openai
import pytest

from assistant.answer.types import AI_LABEL

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer

pytest_plugins = ["api_fixtures"]
QUESTION = "到2027年底，吉林省智能算力规模的目标是多少？"


def client_for(server: LiveServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=120)


def test_models_lists_the_model_the_service_runs(api_server: LiveServer, api_keys: ApiKeys) -> None:
    models = client_for(api_server, api_keys.public).models.list()
    assert [m.id for m in models.data] == [api_server.state.settings.llm_model]


def test_an_unknown_key_raises_the_clients_authentication_error(api_server: LiveServer) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        client_for(api_server, "not-a-key").models.list()
    assert raised.value.status_code == 401
    assert raised.value.body == {"code": "unauthorized", "message": "unknown API key"}


def test_an_empty_question_raises_the_clients_unprocessable_entity_error(
    api_server: LiveServer, api_keys: ApiKeys
) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client_for(api_server, api_keys.public).chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": "  "}]
        )
    assert "the question (the last user message) is empty" in str(raised.value)


def test_search_filters_travel_in_extra_body_and_are_checked(api_server: LiveServer, api_keys: ApiKeys) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client_for(api_server, api_keys.public).chat.completions.create(
            model="assistant",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"filters": {"statuses": ["现行有效"], "access": ["internal"]}},
        )
    assert "unknown filter key(s): access" in str(raised.value)


@pytest.mark.slow
def test_a_completion_carries_the_answer_and_its_citations(api_server: LiveServer, api_keys: ApiKeys) -> None:
    completion = client_for(api_server, api_keys.public).chat.completions.create(
        model="anything",
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}],
        max_tokens=16,
    )
    assert completion.model == api_server.state.settings.llm_model and completion.object == "chat.completion"
    message = completion.choices[0].message
    assert message.role == "assistant" and completion.choices[0].finish_reason == "stop"
    assert message.content.endswith(AI_LABEL) and len(message.content) > len(AI_LABEL)
    extra = completion.model_extra or {}
    assert extra["label"] == AI_LABEL and extra["declined"] is False and isinstance(extra["grounded"], bool)
    retrieved = api_server.client(api_keys.public).post("/v1/search", json={"query": QUESTION}).json()["results"]
    assert {c["chunk_id"] for c in extra["citations"]} <= {r["chunk_id"] for r in retrieved}
    assert [c["n"] for c in extra["citations"]] == list(range(1, len(extra["citations"]) + 1))


@pytest.mark.slow
def test_a_streamed_completion_ends_with_a_chunk_carrying_the_citations(
    api_server: LiveServer, api_keys: ApiKeys
) -> None:
    stream = client_for(api_server, api_keys.public).chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.endswith(AI_LABEL) and len(text) > len(AI_LABEL)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    extra = final.model_extra or {}
    assert isinstance(extra["citations"], list) and extra["answer"].endswith(AI_LABEL)
    assert extra["label"] == AI_LABEL and isinstance(extra["grounded"], bool)
    assert len({c.id for c in chunks}) == 1
