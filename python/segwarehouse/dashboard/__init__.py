"""A Streamlit dashboard over the published marts (`make dashboard`).

`queries` holds the logic (plain, typed functions over a read-only DuckDB connection, tested
without Streamlit), `app` is the entry point and `views/` the thin pages.
"""
