"""Alembic environment: the engine comes from the caller (`pantau migrate`, tests) or from the settings."""

from __future__ import annotations

from alembic import context

from pantau.models import metadata


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is None:
        from pantau.core.database import get_engine

        engine = get_engine()
    return engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `pantau migrate`")
run_migrations_online()
