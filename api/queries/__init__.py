"""Query resolvers by concept; ``Query`` combines them (field names are part of the contract)."""
