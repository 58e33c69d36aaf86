"""Where each kind of record is looked up (by key or part of the name), for filter bars."""
from __future__ import annotations

from crm_tui.services import catalogs, users

LOOKUPS = {
    "user": lambda text, limit: users.lookup_users(text, limit),
    "client": lambda text, limit: catalogs.lookup_clients(text, limit),
    "contact": lambda text, limit: catalogs.lookup_contacts(text, limit),
    "project": lambda text, limit: catalogs.lookup_projects(text, limit),
    "category": lambda text, limit: catalogs.lookup_categories(text, limit),
    "opportunity_type": lambda text, limit: catalogs.lookup_opportunity_types(text, limit),
}
