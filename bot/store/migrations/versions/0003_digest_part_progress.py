"""Digests remember which of their messages went out.

A digest longer than one Telegram message is sent in parts; when part 2 failed, the retry
built and sent the whole digest again, part 1 included. The rendered parts and how many
were sent are kept with the delivery (scheduled digests) or the chat (`/digest`), so a
retry resumes at the first unsent part and never repeats one.

Revision ID: 0003_digest_part_progress
Revises: 0002_sent_story_outlets
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_digest_part_progress"
down_revision: str | None = "0002_sent_story_outlets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.add_column(sa.Column("plan", sa.JSON(), nullable=True))
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("pending_digest", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("pending_digest")
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_column("plan")
