"""The chat-model interface every LLM backend implements (local llama.cpp, OpenAI-compatible server)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Generator
from typing import Literal, TypedDict

from assistant.errors import AssistantError

# Extra tokens a chat template spends per message (role markers) and to open the reply, for backends
# that cannot render their template: ChatML (Qwen) spends 5 per message and 3 to open the answer.
MESSAGE_OVERHEAD_TOKENS = 5
REPLY_OVERHEAD_TOKENS = 3


class LLMError(AssistantError):
    """The language model could not be reached, refused the request, or was asked for something impossible."""


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatLLM(ABC):
    """A chat model that streams its reply as text pieces.

    ``generations`` counts the replies requested and accepted, so callers and tests can tell whether the model was used.
    Backends that serve one generation at a time (llama.cpp) say so with ``max_concurrent`` = 1 and report
    ``busy()`` while a reply is being generated; callers needing a queue size it from ``max_concurrent``.
    """

    name: str
    context_tokens: int  # the window the prompt and the reply share
    max_concurrent: int | None = None  # None = the backend takes any number at once

    def __init__(self) -> None:
        self.generations = 0
        self._count_lock = threading.Lock()

    def stream_chat(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> Generator[str, None, None]:
        """Yield the reply to ``messages`` piece by piece; closing the iterator stops the generation."""
        _check_request(messages, max_tokens, temperature)
        pieces = self._stream(messages, max_tokens, temperature, stop or [])
        with self._count_lock:
            self.generations += 1
        return pieces

    def chat(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> str:
        return "".join(self.stream_chat(messages, max_tokens, temperature, stop))

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's prompt (exact, or an estimate erring high when it cannot know)."""

    def count_prompt_tokens(self, messages: list[Message]) -> int:
        """Tokens the whole chat prompt takes, template included."""
        content = sum(self.count_tokens(m["content"]) for m in messages)
        return content + MESSAGE_OVERHEAD_TOKENS * len(messages) + REPLY_OVERHEAD_TOKENS

    def busy(self) -> bool:
        """True while the backend cannot start another reply without waiting."""
        return False

    @abstractmethod
    def close(self) -> None:
        """Free what the backend holds: the in-process model, or the connections to a server."""

    @abstractmethod
    def _stream(
        self, messages: list[Message], max_tokens: int, temperature: float, stop: list[str]
    ) -> Generator[str, None, None]:
        """The backend's generation; arguments are already checked."""


def _check_request(messages: list[Message], max_tokens: int, temperature: float) -> None:
    if not messages:
        raise LLMError("a chat request needs at least one message")
    for i, m in enumerate(messages):
        if m.get("role") not in ("system", "user", "assistant") or not isinstance(m.get("content"), str):
            raise LLMError(f"message {i} must have role system, user or assistant and text content, got {m!r:.80}")
    if max_tokens < 1:
        raise LLMError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= temperature <= 2:
        raise LLMError(f"temperature must be between 0 and 2, got {temperature}")
