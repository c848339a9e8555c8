"""Search for the portal: one analyzer, a backend-neutral interface and a Whoosh backend."""
