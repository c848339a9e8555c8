"""The Whoosh engine: a pure-Python index over our analyzer's tokens, scored with numpy.

schema.py declares the fields, analysis.py the tokenizer and field type Whoosh pickles into
the index, arrays.py reads postings as numpy arrays, query.py turns a query plan into
Whoosh queries and backend.py is the SearchBackend. Nothing is imported here, so that
opening an index (which imports analysis.py by its pickled path) stays light.
"""
