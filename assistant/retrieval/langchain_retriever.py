"""The searcher as a LangChain retriever, for users who compose their own chains."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter, SearchMode


class PolicyRetriever(BaseRetriever):
    """``invoke(query)`` returns the hits as Documents whose metadata is the citation.

    Each Document also carries the search's ``evidence`` flag, so a chain can decline as ours does.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    top_k: int = 5
    search_filter: SearchFilter | None = None
    mode: SearchMode = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        response = self.searcher.search(query, top_k=self.top_k, flt=self.search_filter, mode=self.mode)
        documents = []
        for result in response.results:
            metadata = {k: v for k, v in result.as_dict().items() if k not in ("text", "fields")}
            metadata.update(result.fields, evidence=response.evidence)
            documents.append(Document(page_content=result.text, metadata=metadata))
        return documents
