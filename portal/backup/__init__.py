"""Backups: one archive holding a consistent copy of the database and the uploaded files.

`flask backup create|restore` (cli.py) call the plain functions in services.py; the
dialect-specific parts live in sqlite.py and postgres.py, the archive format in archive.py."""
