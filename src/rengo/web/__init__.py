"""The web layer: FastAPI app, server-rendered pages (Jinja2 + htmx) and the JSON API."""
