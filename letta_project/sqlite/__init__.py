"""Django's SQLite backend with the process's writers queued in the process (base.py)."""
