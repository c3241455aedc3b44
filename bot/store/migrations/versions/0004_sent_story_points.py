"""Sent stories remember the points the chat was shown.

When a story comes back as an update, the digest says in one line what is new since the
chat's last digest: new outlets (from `outlet_keys`) and the points not in the version sent.

Revision ID: 0004_sent_story_points
Revises: 0003_digest_part_progress
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sent_story_points"
down_revision: str | None = "0003_digest_part_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sent_stories") as batch:
        batch.add_column(
            sa.Column("points", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sent_stories") as batch:
        batch.drop_column("points")
