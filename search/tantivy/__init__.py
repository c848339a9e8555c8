"""The tantivy engine (the default): tantivy's embedded index over our analyzer's tokens.

schema.py declares the fields, documents.py turns an IndexDocument into them, querying.py
turns a query plan into tantivy queries and backend.py is the SearchBackend.
"""

from search.tantivy.backend import TantivyBackend

__all__ = ["TantivyBackend"]
