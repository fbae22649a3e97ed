"""The engines a detector can run on (`--engine duckdb|spark`)."""

from __future__ import annotations

from enum import StrEnum


class Engine(StrEnum):
    """The engines a detector can run on: `--engine duckdb|spark`."""

    DUCKDB = "duckdb"
    SPARK = "spark"

    @classmethod
    def _missing_(cls, value: object) -> Engine | None:
        # Accept "DuckDB", "Spark" and Ibis' backend name "pyspark" from users and config files.
        if isinstance(value, str):
            name = value.strip().lower()
            if name == "pyspark":
                return cls.SPARK
            for member in cls:
                if member.value == name:
                    return member
        return None
