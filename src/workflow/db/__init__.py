"""Persistence: SQLAlchemy models, engine factory, unit of work and Alembic migrations."""
