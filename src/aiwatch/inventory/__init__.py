"""Inventory: the read side behind the console's Users and Agents pages and the ``/api/inventory`` routes.

``users``: workspace users with their apps, open findings, activity and risk score (explained by ``risk``).
``agents``: custom GPTs and projects with sharing, tools, action domains, files, versions, diffs and reviews.
All SQL lives here; the web layer only renders what these functions return.
"""

from aiwatch.inventory.common import InventoryError, NotFound

__all__ = ["InventoryError", "NotFound"]
