"""The peer: pyais's own idiomatic decode of a file (what a pyais user would write): every
message decoded to a dict of values. Prints the number of messages."""

import sys

from pyais.stream import FileReaderStream

decoded = 0
for message in FileReaderStream(sys.argv[1]):
    message.decode().asdict()
    decoded += 1
print(decoded)
