"""The test suite (see tests/README.md for where tests go)."""

from pathlib import Path

# The repository's root, for tests that read shipped files or run its scripts.
ROOT = Path(__file__).resolve().parent.parent
