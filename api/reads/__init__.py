"""Read functions over the read models (synchronous; resolvers call them in a worker thread)."""
