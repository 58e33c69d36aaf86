"""Reusable pieces of the screens: paged record table, form, dates, look-ups, dialogs.

Modules are imported where they are used (not from here) to keep start-up fast.
"""
