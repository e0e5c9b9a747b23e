"""The process-wide parts, built once on first use and shared by the CLI, the API and the UI."""

from __future__ import annotations

from functools import cached_property

from assistant.answer.service import AnswerService
from assistant.audit.feedback import FeedbackService
from assistant.audit.gaps import GapFinder
from assistant.audit.log import AuditLog
from assistant.cases.blobs import BlobStore
from assistant.cases.items import CatalogueItems
from assistant.cases.service import CaseService
from assistant.config import Settings, get_settings, set_offline_switches
from assistant.db.engine import Database
from assistant.drafting.service import DraftService
from assistant.guides.catalogue import Catalogue
from assistant.guides.service import GuideService
from assistant.ingest.pipeline import IngestPipeline
from assistant.models.embedder_factory import get_embedder
from assistant.models.embedding import Embedder
from assistant.models.llm import ChatLLM
from assistant.models.llm_factory import get_llm
from assistant.precheck.case_precheck import CasePrecheck
from assistant.precheck.service import PrecheckService
from assistant.retrieval.rerank import get_reranker
from assistant.retrieval.search import Searcher
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import VectorStore
from assistant.retrieval.store_factory import open_store


class Components:
    """Lazily built store, models and services; nothing heavy loads until something asks for it."""

    def __init__(self, settings: Settings | None = None) -> None:
        set_offline_switches()
        self.settings = settings or get_settings()

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @cached_property
    def database(self) -> Database:
        return Database.open(self.settings.database)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.store)

    @cached_property
    def cases(self) -> CaseService:
        """The case service; material bytes go into the database when it is PostgreSQL (shared by replicas)."""
        store = self.settings.materials_store
        in_database = store == "database" or (store == "auto" and self.database.dialect == "postgresql")
        return CaseService(
            self.database,
            BlobStore(self.settings.materials_dir, in_database=in_database),
            CatalogueItems(lambda: self.catalogue),
            number_prefix=self.settings.case_number_prefix,
            max_file_mb=self.settings.max_file_mb,
        )

    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings)

    @cached_property
    def sparse(self) -> SparseEncoder:
        return SparseEncoder()

    @cached_property
    def ingestor(self) -> IngestPipeline:
        return IngestPipeline(self.settings, self.store, self.embedder, self.sparse)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.settings, self.store, self.embedder, self.sparse, get_reranker(self.settings))

    @cached_property
    def llm(self) -> ChatLLM:
        return get_llm(self.settings)

    @cached_property
    def answerer(self) -> AnswerService:
        return AnswerService(self.settings, self.searcher, self.llm)

    @cached_property
    def drafter(self) -> DraftService:
        return DraftService(self.settings, self.searcher, self.llm)

    @cached_property
    def guides(self) -> GuideService:
        return GuideService(self.searcher, self.catalogue)

    @cached_property
    def precheck(self) -> PrecheckService:
        return PrecheckService(self.settings, self.searcher)

    @cached_property
    def case_precheck(self) -> CasePrecheck:
        return CasePrecheck(self.cases, self.precheck)

    # --- audit log, 好差评 and knowledge gaps (issue 18) ---
    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(lambda: self.database, self.settings.audit_queue_size)

    @cached_property
    def feedback(self) -> FeedbackService:
        return FeedbackService(self.audit)

    @cached_property
    def gaps(self) -> GapFinder:
        return GapFinder(self.audit, self.embedder, self.searcher, self.store, self.settings.gap_similarity)

    def close(self) -> None:
        if "audit" in self.__dict__:
            self.audit.close()  # writes what is queued while the database is still open
        if "store" in self.__dict__:
            self.store.close()
        if "database" in self.__dict__:
            self.database.close()
