"""Service items by catalogue id (TASK_CODE): the rules a new case's sub-cases are filed under."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from assistant.cases.errors import UnknownItem
from assistant.cases.item_rules import ItemRules
from assistant.guides.catalogue import Catalogue


class ItemSource(Protocol):
    def rules(self, item_id: str) -> ItemRules:
        """The item's rules, or UnknownItem naming the id."""
        ...


class CatalogueItems:
    """Items of the ingested catalogue, looked up by their ``item_id`` field. The catalogue is opened on the
    first lookup only, so reading and moving cases never needs the vector store."""

    def __init__(self, catalogue: Callable[[], Catalogue]) -> None:
        self._open = catalogue
        self._catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = self._open()
        return self._catalogue

    def rules(self, item_id: str) -> ItemRules:
        wanted = item_id.strip()
        for item in self.catalogue.items():
            if str(item.fields.get("item_id") or "") == wanted:
                return ItemRules.from_fields(item.fields, item.name)
        raise UnknownItem(
            f"no service item with catalogue id {wanted or '（空）'!r} in the ingested catalogue "
            "(ids are the catalogue's TASK_CODE, e.g. as listed by POST /v1/guide)"
        )
