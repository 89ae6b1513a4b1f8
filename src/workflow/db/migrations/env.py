"""Alembic environment: runs migrations on the engine handed over by ``workflow.db.migrate``."""

from __future__ import annotations

from alembic import context

from workflow.db.migrate import include_name
from workflow.db.models import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        include_name=include_name,  # not APScheduler's table
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
