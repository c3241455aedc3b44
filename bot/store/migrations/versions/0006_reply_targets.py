"""Sent messages a reader can reply to with a question, and the stories they show.

A reply to a link summary or to a digest asks about the stories in that message: the bot
finds them by (chat, message id) for CACHE_TTL_DAYS. The stories are stored once per
distinct content (`reply_stories`), since a digest goes to many chats.

Revision ID: 0006_reply_targets
Revises: 0005_feed_titles
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reply_targets"
down_revision: str | None = "0005_feed_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_messages",
        sa.Column(
            "chat_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "chats.chat_id", name="fk_reply_messages_chat_id_chats", ondelete="CASCADE"
            ),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("stories_key", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name="pk_reply_messages"),
    )
    op.create_index("ix_reply_messages_sent_at", "reply_messages", ["sent_at"])
    op.create_table(
        "reply_stories",
        sa.Column("stories_key", sa.String(64), nullable=False),
        sa.Column("stories", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stories_key", name="pk_reply_stories"),
    )


def downgrade() -> None:
    op.drop_table("reply_stories")
    op.drop_index("ix_reply_messages_sent_at", table_name="reply_messages")
    op.drop_table("reply_messages")
