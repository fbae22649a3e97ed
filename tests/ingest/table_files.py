"""Real table files and damaged layouts of their rows, shared by the table reader tests."""

from __future__ import annotations

from pathlib import Path

from cargotrace.ingest.params import InputFormat

MC = "marinecadastre_AIS_2022_01_03_first99999.csv"
REAL = {
    MC: InputFormat.MARINECADASTRE,
    "aisdb_test_data_noaa_20230101.csv": InputFormat.MARINECADASTRE,
    "aisdb_test_data_20210701.csv": InputFormat.GENERIC,  # every field quoted
    "stonesoup_SolentAIS_20160112_130211.csv": InputFormat.GENERIC,
}


def table_variants(rows: list[bytes], head: bytes) -> dict[str, tuple[list[bytes], bool]]:
    """Layouts and damage seen in real exports: (lines, read by read_csv?)."""
    short, extra = rows[5][:30], rows[6] + b",X,Y"
    return {
        "padded_fields": ([head] + [r.replace(b",", b" , ", 3) for r in rows], True),
        "quoted_fields": ([head] + [b",".join(b'"' + f + b'"' for f in r.split(b","))
                                    for r in rows], True),
        "empty_quoted": ([head] + [r.replace(b",,", b',"",') for r in rows], True),
        "semicolons": ([line.replace(b",", b";") for line in [head, *rows]], True),
        "tabs": ([line.replace(b",", b"\t") for line in [head, *rows]], True),
        "crlf": ([line + b"\r" for line in [head, *rows]], True),
        "sentinel_words": ([head] + [r.replace(b",511,", b",NaN,").replace(b",0.0,", b",None,")
                                     for r in rows], True),
        "blank_and_space_lines": ([head, *rows[:5], b"", b"   ", b"", *rows[5:]], True),
        "short_long_and_odd_rows": ([head, *rows[:5], short, extra, b'1,"2",3', b",,,",
                                     *rows[7:]], True),
        "quote_over_a_line_end": ([head, *rows[:5], b'"' + rows[5], *rows[6:]], False),
        "stray_carriage_return": ([head, *rows[:5], rows[5].replace(b",", b"\r,", 1),
                                   *rows[6:]], False),
        "nul_byte": ([head, *rows[:5], rows[5].replace(b",", b"\x00,", 1), *rows[6:]], False),
        "latin1": ([head, *rows[:5], rows[5].replace(b",", b"\xe9,", 1), *rows[6:]], False),
        "mixed_line_ends": ([head, *rows[:5], rows[5] + b"\r", *rows[6:]], False),
    }


def variant_file(shared_data: Path, folder: Path, variant: str) -> tuple[Path, list[bytes], bool]:
    """The first 60 rows of the real MarineCadastre file laid out as `variant`, written to
    `folder`: (path, lines written, read by read_csv?)."""
    lines = (shared_data / "ais_positions" / MC).read_bytes().split(b"\n")
    rows, by_read_csv = table_variants(lines[1:61], lines[0])[variant]
    path = folder / f"{variant}.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path, rows, by_read_csv
