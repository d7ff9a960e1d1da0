"""Writes to the org tree. Each checks permission, validates, writes in one
transaction and records an audit row.

`units` creates and edits units and departments; `boundaries` imports their polygons.
"""

from gongzhi.orgs.services.boundaries import (
    MAX_UPLOAD_BYTES,
    BoundaryIssue,
    ImportReport,
    PayloadTooLarge,
    org_boundaries_import,
    payload_too_large,
)
from gongzhi.orgs.services.units import (
    department_create,
    org_unit_create,
    org_unit_rename,
    org_unit_update_profile,
)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "BoundaryIssue",
    "ImportReport",
    "PayloadTooLarge",
    "department_create",
    "org_boundaries_import",
    "org_unit_create",
    "org_unit_rename",
    "org_unit_update_profile",
    "payload_too_large",
]
