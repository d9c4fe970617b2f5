"""Front end: load YAML / Jinja2 files into located plain dicts (see located.py)."""
