"""Sent stories remember their outlets and word signature.

A story comes back the next day with new article URLs; telling "the same story" from "a
new one" needs the outlets already seen (to spot substantial new coverage) and the
story's word signature (to match it when no URL is shared).

Revision ID: 0002_sent_story_outlets
Revises: 0001_initial_schema
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sent_story_outlets"
down_revision: str | None = "0001_initial_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sent_stories") as batch:
        batch.add_column(
            sa.Column("outlet_keys", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("signature", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sent_stories") as batch:
        batch.drop_column("signature")
        batch.drop_column("outlet_keys")
