"""Read functions over the read models and the stored events, ``await``-ed by the resolvers through a
``ReadSource`` (``source.py``: an async pool on PostgreSQL, a worker thread on SQLite)."""
