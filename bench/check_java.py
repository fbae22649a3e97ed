"""`make test` runs this first: the Spark engine's parity tests need Java 17+ (issue 4).

Exits 1 with one line saying what is missing and how to install it, instead of a Java gateway
stack trace in the middle of the test run.
"""

from __future__ import annotations

import sys

from cargotrace.store.engines import java_problem

problem = java_problem()
if problem is not None:
    sys.exit(problem)
