"""Shared fixtures of the API tests: a real uvicorn server on 127.0.0.1 over a session data directory
holding the bundled corpus, one internal document and the small bundled model.

Test modules load them with ``pytest_plugins = ["api_fixtures"]`` (and import names from here only
under TYPE_CHECKING, so the module is first imported as a plugin and its asserts are rewritten).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.api.auth import key_entry, new_key
from assistant.api.deps import ServiceState
from assistant.components import Components
from assistant.config import Settings
from assistant.models.provision import provision

SMALL_MODEL = "qwen2.5-coder-0.5b-instruct"
# A made-up internal memo: its code name appears in no public document.
INTERNAL_CODE_NAME = "青松专项"
INTERNAL_MEMO = f"""关于做好{INTERNAL_CODE_NAME}政务云资源调配工作的内部通知

各有关处室：
为保障{INTERNAL_CODE_NAME}顺利实施，现就政务云资源调配有关事项通知如下。
一、工作目标
{INTERNAL_CODE_NAME}涉及的政务云算力资源由省大数据中心统一调配，优先保障一网通办系统扩容。
二、工作要求
各处室不得对外公开{INTERNAL_CODE_NAME}的资源分配方案，相关材料仅限内部使用。
"""
T = TypeVar("T")


@dataclass(frozen=True)
class ApiKeys:
    public: str
    staff: str
    admin: str

    @property
    def setting(self) -> str:
        """The ASSISTANT_API_KEYS value configuring the three keys."""
        return ",".join(key_entry(getattr(self, role), role, f"{role}-client") for role in ("public", "staff", "admin"))


class LiveServer:
    """A uvicorn server in a background thread, on a free loopback port taken before it starts."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=5))
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._socket])

    def start(self, timeout: float = 120) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start (see the log above)")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    @property
    def state(self) -> ServiceState:
        return self.app.state.service

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's event loop (where its generation queue lives)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def client(self, key: str | None = None, timeout: float = 120) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def server_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a test server: small model, short answers from 3 passages, a 1 MiB upload limit, no rate limit."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "llm_model": SMALL_MODEL,
        "llm_max_tokens": 32,
        "top_k": 3,
        "max_file_mb": 1,
        "rate_limit_per_minute": 0,
        "generation_queue_size": 1,
        "generation_queue_timeout": 60,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def api_keys() -> ApiKeys:
    return ApiKeys(public=new_key(), staff=new_key(), admin=new_key())


@pytest.fixture(scope="session")
def api_data_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[Path]:
    """The bundled corpus (public) and the internal memo ingested, and the small model provisioned."""
    data_dir = tmp_path_factory.mktemp("api-data")
    settings = server_settings(data_dir, max_file_mb=50)
    provision(settings, only=[SMALL_MODEL])
    memo = tmp_path_factory.mktemp("internal") / "internal_memo.txt"
    memo.write_text(INTERNAL_MEMO, encoding="utf-8")
    components = Components(settings)
    try:
        summary = components.ingestor.ingest_paths([corpus_dir])
        assert summary.count("added") >= 2 and not summary.count("failed"), summary.as_dict()
        assert components.ingestor.ingest_paths([memo], access="internal").count("added") == 1
    finally:
        components.close()
    yield data_dir
    shutil.rmtree(data_dir, ignore_errors=True)  # no model-sized files left in pytest's kept tmp dirs


@pytest.fixture(scope="session")
def api_server(api_data_dir: Path, api_keys: ApiKeys) -> Iterator[LiveServer]:
    server = LiveServer(create_app(server_settings(api_data_dir, api_keys=api_keys.setting))).start()
    yield server
    server.stop()


@dataclass(frozen=True)
class InternalDocument:
    doc_id: str
    code_name: str  # a term found in this document only


@pytest.fixture(scope="session")
def internal_document(api_server: LiveServer) -> InternalDocument:
    documents = api_server.state.components.store.list_documents()
    doc_id = next(d["doc_id"] for d in documents if d.get("access") == "internal")
    return InternalDocument(doc_id, INTERNAL_CODE_NAME)


@pytest.fixture
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Start further servers, each over its own empty data directory, with settings overrides; stopped after."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        settings = server_settings(tmp_path_factory.mktemp("server"), **overrides)
        servers.append(LiveServer(create_app(settings)).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
