"""The Earth model's constants (documented in `geo/sphere.py`), in a module of their own.

Why apart from `sphere.py`: the store's SQL look-ups (`geo/sql.py`) need the radius but not
numpy, which `places list` and `vessels` would otherwise import at start-up (issue 16).
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088
"""IUGG mean Earth radius: the sphere every distance in cargotrace is measured on (searoute's
MARNET weights and the rail graph use it too)."""
KM_PER_NM = 1.852
"""The international nautical mile; knots are nautical miles per hour."""
KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0
"""One degree of a great circle (of latitude, or of longitude on the equator): 111.195 km."""
