"""One module per CLI job; each registers its command on `cargotrace.cli.app`."""
