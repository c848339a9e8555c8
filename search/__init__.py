"""Search for the portal, with no Flask import: the shared core at this level (the one
analyzer, the backend interface, query parsing and planning, ranking, highlighting) and one
subpackage per engine (tantivy/, whoosh/, postgres/)."""
