"""Feeds remember their own titles.

`/export` and `newsbot export` name each feed by its channel title, learned when the feed
is checked (`/subscribe`, `/import`) or polled; nullable: a feed not read since has none.

Revision ID: 0005_feed_titles
Revises: 0004_sent_story_points
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_feed_titles"
down_revision: str | None = "0004_sent_story_points"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_state") as batch:
        batch.add_column(sa.Column("title", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_state") as batch:
        batch.drop_column("title")
