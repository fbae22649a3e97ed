"""`python -m cargotrace`: the same as the `cargotrace` command."""

from cargotrace.cli import main

main()
