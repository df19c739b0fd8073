"""Postings by documents (count sessions, transfers, adjustments): their scans go through the
one writer like any other, with event ids derived from the document, so a retry after a
crash or a lost answer is answered ``duplicate`` instead of posting twice."""

from __future__ import annotations

from uuid import UUID, uuid5

_NAMESPACE = UUID("0f5f6d3e-2f6a-4a44-9d0c-6a1f3c7e9b21")


def document_event_id(*parts: object) -> str:
    """A stable event id for one posting of a document, e.g. ``("CNT-000001", line, round)``."""
    return str(uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))
