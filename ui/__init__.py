"""The thin Streamlit layer: engine and clock for the pages, caching, shared widgets.

This is the only package besides ``pages/`` and ``app.py`` that imports streamlit.
"""
