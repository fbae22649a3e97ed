"""Version strings recorded with every ingest and event (provenance)."""

__version__ = "0.1.0"
