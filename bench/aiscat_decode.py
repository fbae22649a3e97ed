"""The C++ peer: aiscat (AIS-catcher's decoder, GPL-3.0-or-later; the optional extra `bench`,
never imported by cargotrace) decoding a file to dicts. Prints the number of messages and of
position reports (types 1-3, 18, 19, 27)."""

import sys

import aiscat

messages = positions = 0
for message in aiscat.from_file(sys.argv[1]):
    messages += 1
    positions += message.get("type") in (1, 2, 3, 18, 19, 27)
print(messages, positions)
