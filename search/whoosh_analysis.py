"""Old import path of search/whoosh/analysis.py, kept for Whoosh indexes already on disk.

Whoosh pickles the schema into the index, with the dotted path of PortalTokenizer and
GramField; indexes written before the engine moved to search/whoosh/ name this module.
Delete it once every such index has been rebuilt (`flask search reindex` writes the new
path); tests/test_whoosh_backend.py opens an index with the old path.
"""

from search.whoosh.analysis import GramField, PortalTokenizer, portal_analyzer

__all__ = ["GramField", "PortalTokenizer", "portal_analyzer"]
