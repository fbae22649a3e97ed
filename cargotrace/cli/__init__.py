"""The `cargotrace` command (Typer): each command parses options, calls the library and renders.

`cli.app` holds the Typer app, the shared options, the consoles and the store opening every command
uses; `cli.commands` one module per job; `cli.lazy` the top-level group that imports a command's
module only when that command runs or shows its help; `cli.main` maps library errors to one line.
`from cargotrace.cli.app import app` gives the full app. Heavy modules are imported inside the
command functions: `import cargotrace.cli` stays fast (DESIGN.md: start-up < 0.35 s).
"""

from cargotrace.cli.main import main

__all__ = ["main"]
