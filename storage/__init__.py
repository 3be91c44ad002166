"""Storage: SQLModel tables, repositories, the unit of work and alembic migrations."""
