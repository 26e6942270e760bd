"""``svledger serve`` and ``svledger token`` (the GraphQL API lives in ``api/``)."""
