"""The peer: pyais's own idiomatic decode of a file (what a pyais user would write)."""

import sys

from pyais.stream import FileReaderStream

decoded = 0
for message in FileReaderStream(sys.argv[1]):
    message.decode()
    decoded += 1
print(decoded)
