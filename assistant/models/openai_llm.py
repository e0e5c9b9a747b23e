"""A chat model behind an OpenAI-compatible HTTP server (vLLM, llama.cpp server, this project's own API...)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Generator
from typing import Any

import httpx

from assistant.models.llm import ChatLLM, LLMError, Message

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Characters per token of non-CJK text in common BPE vocabularies; rounding up errs on the long side.
_CHARS_PER_TOKEN = 3
_CONNECT_SECONDS = 10.0
_READ_SECONDS = 300.0  # a slow server may think this long before its first token


class OpenAIChatLLM(ChatLLM):
    """Streams ``POST {base_url}/chat/completions``; ``base_url`` includes the version, e.g. http://host:8080/v1.

    The server's tokenizer is unknown here, so ``count_tokens`` estimates: one token per CJK character
    (Qwen-family tokenizers need about 0.6) and one per three other characters, so budgets err safe.
    """

    def __init__(self, base_url: str, api_key: str | None, model: str, context_tokens: int) -> None:
        super().__init__()
        if not base_url.startswith(("http://", "https://")):
            raise LLMError(
                f"ASSISTANT_LLM_BASE_URL must be an http(s) URL such as http://127.0.0.1:8080/v1, got {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self.context_tokens = context_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(_READ_SECONDS, connect=_CONNECT_SECONDS)
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def count_tokens(self, text: str) -> int:
        cjk = len(_CJK.findall(text))
        return cjk + math.ceil((len(text) - cjk) / _CHARS_PER_TOKEN)

    def close(self) -> None:
        self._client.close()

    def _stream(
        self, messages: list[Message], max_tokens: int, temperature: float, stop: list[str]
    ) -> Generator[str, None, None]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        return self._pieces(body)

    def _pieces(self, body: dict[str, Any]) -> Generator[str, None, None]:
        # Leaving the ``with`` (also when the consumer closes this generator) closes the connection, which
        # is how a server learns to stop generating.
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise LLMError(
                        f"the LLM server {self.base_url} answered HTTP {response.status_code}: {response.text[:300]}"
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        return
                    text = _delta_text(data, self.base_url)
                    if text:
                        yield text
        except httpx.HTTPError as e:
            raise LLMError(f"the LLM server {self.base_url} failed: {type(e).__name__}: {e}") from e


def _delta_text(data: str, base_url: str) -> str | None:
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError as e:
        raise LLMError(f"the LLM server {base_url} sent a stream event that is not JSON: {data[:200]!r}") from e
    if "error" in chunk:
        raise LLMError(f"the LLM server {base_url} reported an error: {json.dumps(chunk['error'], ensure_ascii=False)}")
    choices = chunk.get("choices") or []
    return (choices[0].get("delta") or {}).get("content") if choices else None
