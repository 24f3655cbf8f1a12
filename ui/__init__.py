"""The thin Streamlit layer: engine and clock for the pages, caching, shared widgets.

This is the only package besides ``pages/``, ``navigation.py`` and ``app.py`` that imports
streamlit; ``server.py`` holds the server side of ``app.py`` (start-up hook, HTTP routes).
"""
