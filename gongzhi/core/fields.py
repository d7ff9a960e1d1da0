"""The org code column and its prefix lookup.

Every scoped row stores the code of its deepest org unit, and "what may this user
see" is `org_code__within=<scope code>`. Codes are digits only, so the rows under
a code are exactly the range [code, code + ":") in byte order (":" follows "9").
A range is used instead of LIKE because SQLite cannot use an index for Django's
LIKE … ESCAPE, and PostgreSQL only can with a pattern opclass; the column is
given the "C" collation on PostgreSQL so the range is bytewise whatever the
database's locale.
"""

from django.db import models
from django.db.models import Lookup
from django.db.models.functions import Length


class OrgCodeField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


@OrgCodeField.register_lookup
class Within(Lookup):
    """`code__within="410311001"`: the code itself and every code that extends it."""

    lookup_name = "within"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        upper = [p + ":" for p in rhs_params]
        return f"({lhs} >= {rhs} AND {lhs} < {rhs})", [
            *lhs_params,
            *rhs_params,
            *lhs_params,
            *upper,
        ]


# `code__length=12`: the codes of one level (a unit's children are its codes of the
# next level's length).
OrgCodeField.register_lookup(Length)


@models.CharField.register_lookup
class Among(Lookup):
    """`state__among=("registered", "handled")`: IN with the values written into the
    statement instead of bound. SQLite uses a partial index only when the query repeats
    the index's condition, and it cannot see through bound parameters: the overdue board
    of a district at a million cases reads 51 index entries instead of sorting 20,000
    rows. Only for fixed sets of identifiers from the code (checked), never for input."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [str(v) for v in self.rhs]
        if not values or not all(v.isidentifier() and v.isascii() for v in values):
            raise ValueError(f"among takes identifiers from the code, not {self.rhs!r}")
        return f"{lhs} IN ({', '.join(repr(v) for v in values)})", lhs_params
