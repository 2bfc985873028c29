"""View modules of the app (``streamlit_app.py`` is the entry point)."""
