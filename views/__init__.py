"""The app's views: one module per part of the page; ``streamlit_app.py`` lays them out."""
