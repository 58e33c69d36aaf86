"""crm_tui: a terminal CRM for small service companies."""

__version__ = "0.1.0"
