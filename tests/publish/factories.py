"""What the export tests' shared store is built from (conftest.py's `sim_store`): the simulated
scenario, the real sanctions list it is screened against, and the IMO of the vessel the tests
follow. Test modules import these, never each other or conftest.py."""

from __future__ import annotations

from cargotrace.sim.params import ScenarioParams

# 10 simulated vessels over 5 days, Angara among them
SCENARIO = ScenarioParams.for_scenario("sea-of-japan-2023", vessels=10, days=5, seed=1)
OFAC = "sanctions/ofac_sdn_2024-05-03.csv"  # ../shared/data, see its PROVENANCE.md
ANGARA_IMO = "9179842"
