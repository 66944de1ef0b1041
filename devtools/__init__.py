"""Tools for development and tests only: nothing in the portal imports them."""
