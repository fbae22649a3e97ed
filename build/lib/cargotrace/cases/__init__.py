"""Cases: evidence fused into ranked, explained shipment hypotheses (docs/concepts/cases.md).

Python API: `read_case(path) -> Case`, `check_case(path, store=None) -> CheckReport`,
`build_case(case, store=None, params=CaseParams()) -> CaseResult` (`.to_dict()` is the
`case build --json` contract), `save_case(store, result)`.
"""

from __future__ import annotations

from cargotrace.cases.build import CaseResult, build_case
from cargotrace.cases.check import CheckReport, check_case
from cargotrace.cases.load import read_case
from cargotrace.cases.params import CaseParams
from cargotrace.cases.schema import Case
from cargotrace.cases.store import save_case

__all__ = ["Case", "CaseParams", "CaseResult", "CheckReport", "build_case", "check_case",
           "read_case", "save_case"]
