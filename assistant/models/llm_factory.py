"""The one place that picks the chat-model backend from ``settings.llm_backend``; one model per process."""

from __future__ import annotations

import atexit
import threading

from assistant.config import Settings
from assistant.models.llm import ChatLLM, LLMError

_llms: dict[tuple, ChatLLM] = {}
_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Free the models before interpreter shutdown: llama-cpp-python's own finaliser fails once its
    module is torn down, printing a TypeError traceback at every exit."""
    with _lock:
        for llm in _llms.values():
            llm.close()
        _llms.clear()


def get_llm(settings: Settings) -> ChatLLM:
    """The process-wide chat model the settings select, loaded on first use (a GGUF load takes a moment)."""
    key = _key(settings)
    with _lock:
        if key not in _llms:
            _llms[key] = _build(settings)
        return _llms[key]


def _key(settings: Settings) -> tuple:
    if settings.llm_backend == "openai":
        return ("openai", settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.llm_context)
    return (
        settings.llm_backend,
        settings.llm_model,
        str(settings.models_dir),
        settings.llm_context,
        settings.llm_threads,
        settings.llm_prompt_lookup,
        settings.llm_decode_repack,
    )


def _build(settings: Settings) -> ChatLLM:
    if settings.llm_backend == "openai":
        from assistant.models.openai_llm import OpenAIChatLLM

        if not settings.llm_base_url:
            raise LLMError("ASSISTANT_LLM_BACKEND=openai needs ASSISTANT_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1")
        return OpenAIChatLLM(settings.llm_base_url, settings.llm_api_key, settings.llm_model, settings.llm_context)
    if settings.llm_backend == "llama-cpp":
        from assistant.models.llama_cpp_llm import LlamaCppLLM
        from assistant.models.provision import resolve_gguf

        return LlamaCppLLM(
            resolve_gguf(settings),
            settings.llm_context,
            settings.llm_threads,
            settings.llm_cpu_repack,
            prompt_lookup=settings.llm_prompt_lookup,
            flash_attention=settings.llm_flash_attention,
            decode_repack=settings.llm_decode_repack,
        )
    raise LLMError(f"unknown LLM backend {settings.llm_backend!r}; use llama-cpp or openai")
