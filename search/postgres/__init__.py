"""The PostgreSQL engine: one table of tsvectors built from our analyzer's tokens.

store.py owns the table, its indexes and the connections, query.py the tsvector and tsquery
literals and the SQL of one search, backend.py is the SearchBackend. Nothing is imported
here: portal/indexing reads store.conninfo without loading the backend.
"""
