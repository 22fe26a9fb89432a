"""Presenters: a page's context laid out from what the selectors and services give (one module per page)."""
