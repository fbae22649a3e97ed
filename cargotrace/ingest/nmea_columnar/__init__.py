"""A columnar NMEA decoder: the common lines of an AIS feed decoded a block at a time.

`stream.stream_chunks` is the reader's loop: `lines` finds the lines of a 2 MB block,
`sentences` and `tagblock` find the fields of those of the common shape (for files of 16 MB or
more `compiled` does it in one compiled pass, with `kernels`, numba), `plan` picks the messages
decoded here and `bits`, `positions` and `statics` decode them into staged Arrow tables.
Everything else is read line by line by `nmea._NmeaReader` (pyais), in file order.
See docs/decisions/0011-nmea-decoder.md and 0013-numba-decoder.md.
"""
