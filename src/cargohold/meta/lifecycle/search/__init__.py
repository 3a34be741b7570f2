"""Search across repositories: images (one manifest digest of one image, with its tags) and
generic files, by repository, name glob, tag, digest, properties and time ranges, a page at a
time in key order (repository, name, digest).

``values`` holds what a search asks and finds, ``statements`` the SQL (one statement per item
type), ``queries`` runs them.
"""

from cargohold.meta.lifecycle.search.queries import SearchQueries
from cargohold.records.search import FILE, IMAGE, TYPES, SearchCriteria, SearchHit, SearchPosition

__all__ = [
    "FILE",
    "IMAGE",
    "TYPES",
    "SearchCriteria",
    "SearchHit",
    "SearchPosition",
    "SearchQueries",
]
