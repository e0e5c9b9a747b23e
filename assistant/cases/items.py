"""Service items by catalogue id (TASK_CODE): the rules a new case's sub-cases are filed under."""

from __future__ import annotations

from typing import Protocol

from assistant.cases.errors import UnknownItem
from assistant.cases.item_rules import ItemRules
from assistant.guides.catalogue import Catalogue


class ItemSource(Protocol):
    def rules(self, item_id: str) -> ItemRules:
        """The item's rules, or UnknownItem naming the id."""
        ...


class CatalogueItems:
    """Items of the ingested catalogue, looked up by their ``item_id`` field."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def rules(self, item_id: str) -> ItemRules:
        wanted = item_id.strip()
        for item in self.catalogue.items():
            if str(item.fields.get("item_id") or "") == wanted:
                return ItemRules.from_fields(item.fields, item.name)
        raise UnknownItem(
            f"no service item with catalogue id {wanted or '（空）'!r} in the ingested catalogue "
            "(ids are the catalogue's TASK_CODE, e.g. as listed by POST /v1/guide)"
        )
