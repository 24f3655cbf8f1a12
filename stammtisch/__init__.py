"""Stammtisch: the domain of the Strukturwandel-Stammtisch web app.

This package holds the tables, services, validation, imports/exports and the CLI.
It never imports streamlit, so everything here is testable without a UI.
"""

__version__ = "0.1.0"
