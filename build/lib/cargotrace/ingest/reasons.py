"""Why a record went to quarantine: one enum, so every reader speaks the same codes.

The codes are part of the store contract (analysts filter `quarantine` by them) and are
documented in docs/reference/quarantine-reasons.md; a test fails when a code is undocumented.
"""

from __future__ import annotations

from enum import StrEnum


class QuarantineReason(StrEnum):
    # NMEA framing
    NOT_NMEA = "not_nmea"  # a line that is neither an NMEA sentence, a comment nor blank
    MALFORMED_SENTENCE = "malformed_sentence"  # wrong field count, bad fragment numbers, non-ASCII
    BAD_CHECKSUM = "bad_checksum"  # the sentence's *hh checksum does not match its content
    BAD_TAG_BLOCK = "bad_tag_block"  # NMEA 4.0 tag block with a wrong checksum or no terminator
    EMPTY_PAYLOAD = "empty_payload"  # a valid sentence that carries no AIS payload
    # a multipart message whose later parts never came
    INCOMPLETE_MULTIPART = "incomplete_multipart"
    ORPHAN_FRAGMENT = "orphan_fragment"  # a later fragment with no first fragment before it
    TRUNCATED_PAYLOAD = "truncated_payload"  # too few bits for the message type's fields
    UNSUPPORTED_MSG_TYPE = "unsupported_msg_type"  # a message type id pyais cannot decode
    MISSING_TIME = "missing_time"  # no receive time on the line and none given by the user
    # Values (any format)
    MALFORMED_MMSI = "malformed_mmsi"  # not a 9-digit number
    LAT_OUT_OF_RANGE = "lat_out_of_range"
    LON_OUT_OF_RANGE = "lon_out_of_range"
    SOG_OUT_OF_RANGE = "sog_out_of_range"
    COG_OUT_OF_RANGE = "cog_out_of_range"
    HEADING_OUT_OF_RANGE = "heading_out_of_range"
    TIME_OUT_OF_RANGE = "time_out_of_range"  # before AIS existed or in the future
    # Decoded tables
    UNPARSEABLE_ROW = "unparseable_row"  # wrong number of fields or a value of the wrong type
    UNPARSEABLE_TIME = "unparseable_time"  # a timestamp text we cannot read
