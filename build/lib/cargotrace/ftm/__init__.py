"""FollowTheMoney entities without a required followthemoney install (see `entity`).

Lists are read into, and exports written from, `Entity`: the FtM JSON shape, cleaned by
followthemoney when the `ftm` extra is installed, else by the plain mirror in `clean`.
"""

from cargotrace.ftm.backend import cleaner
from cargotrace.ftm.entity import Entity, make_entity, make_id
from cargotrace.ftm.model import FtmError, Schema, get_schema

__all__ = ["Entity", "FtmError", "Schema", "cleaner", "get_schema", "make_entity", "make_id"]
