"""The REST API's JSON, typed: one frozen ``msgspec.Struct`` per object ``/api/v1`` answers
with or reads, one module per capability (as in ``records/``).

The server converts its records into these and encodes them; the OpenAPI document's schemas
are generated from them; the typed client decodes its answers into them. This package imports
nothing else of cargohold, so both sides can share it.
"""
