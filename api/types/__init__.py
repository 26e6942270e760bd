"""GraphQL object and input types, one concept per module."""
