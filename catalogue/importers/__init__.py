"""Importers: events that cities and providers already publish, brought into the programme.

Each source is read whole first (every page, or the whole feed) into neutral records
(``records.ImportedEvent``), so that a network error or a malformed page stops the run before
anything is written; the records are then applied in one transaction by ``upsert.apply``, which
is idempotent by the source's own ids and uses the schedule service for cancellations, so the
people registered are told exactly as when staff cancel.
"""
