"""Customers: the overview, New customer and the detail page."""
