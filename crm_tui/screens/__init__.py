"""The screens: one module per item of the CRM menu, plus the dashboard.

Screen modules are imported only when their menu item is opened, so start-up stays fast.
"""
