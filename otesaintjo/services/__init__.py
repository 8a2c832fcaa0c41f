"""Business rules as plain async functions: (session, actor, …) -> row, or raise DomainError."""
