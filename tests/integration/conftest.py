"""Integration tests use ``running_hub`` (tests/conftest.py): a whole hub in-process."""
