"""Ordering the records a search found by what each record is for.

A citizen names a situation ("一建证注册的公司要换了"); the catalogue names a procedure
(一级注册建造师变更注册), and its siblings (…注销注册, …初始注册) read almost alike to both indexes,
whose passages are mostly materials lists and legal basis. Each record head therefore carries an
ABOUT vector: the embedding of its name line and plain-words note alone. Among the first
``about_depth`` hybrid results, the record heads are put in the order that fuses their hybrid place
with their place by ABOUT similarity (reciprocal ranks, equal weights); every other result keeps its
slot, so a document passage is never pushed down by a short record vector.

Why only a reordering: ABOUT vectors as a third candidate list (or blended into the passage vector)
lift the catalogue questions but pull questions about the policy documents toward short item
vectors (docs/retrieval.md, "Ideas measured and not kept").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.retrieval.store import RRF_K


def about_order(ids: Sequence[str], scores: Mapping[str, float]) -> list[str]:
    """``ids`` (best first) with the ones that have an ABOUT score reordered among their own slots."""
    heads = [i for i in ids if i in scores]
    by_about = {chunk: place for place, chunk in enumerate(sorted(heads, key=lambda i: -scores[i]))}
    fused = {chunk: 1 / (RRF_K + place) + 1 / (RRF_K + by_about[chunk]) for place, chunk in enumerate(heads)}
    reordered = iter(sorted(heads, key=lambda i: -fused[i]))
    return [next(reordered) if i in scores else i for i in ids]
