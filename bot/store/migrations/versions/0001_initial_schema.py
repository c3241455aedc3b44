"""Initial schema: chats, subscriptions, shared articles and summaries, sent stories,
digest deliveries and feed validators.

Revision ID: 0001_initial_schema
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _chat_fk(table: str) -> sa.Column[int]:
    return sa.Column(
        "chat_id",
        sa.BigInteger(),
        sa.ForeignKey("chats.chat_id", name=f"fk_{table}_chat_id_chats", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("digest_time", sa.Time(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _when("last_digest_at", nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name="pk_chats"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        _chat_fk("subscriptions"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(512), nullable=False),
        sa.Column("topic_key", sa.String(512), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.UniqueConstraint("chat_id", "topic_key", name="uq_subscriptions_chat_topic"),
        sa.CheckConstraint("kind IN ('search', 'feed')", name=op.f("ck_subscriptions_kind")),
    )
    op.create_table(
        "articles",
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("site", sa.Text(), nullable=True),
        _when("published", nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        _when("fetched_at"),
        sa.PrimaryKeyConstraint("canonical_url", name="pk_articles"),
    )
    op.create_table(
        "summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "canonical_url",
            sa.Text(),
            sa.ForeignKey(
                "articles.canonical_url",
                name="fk_summaries_canonical_url_articles",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("summarizer", sa.String(128), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("dropped_points", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_summaries"),
        sa.UniqueConstraint(
            "canonical_url", "lang", "summarizer", name="uq_summaries_url_lang_summarizer"
        ),
    )
    op.create_table(
        "sent_stories",
        sa.Column("id", sa.Integer(), nullable=False),
        _chat_fk("sent_stories"),
        sa.Column("story_key", sa.String(256), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("outlet_count", sa.Integer(), nullable=False),
        _when("sent_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sent_stories"),
        sa.UniqueConstraint("chat_id", "story_key", name="uq_sent_stories_chat_story"),
    )
    op.create_index("ix_sent_stories_chat_sent_at", "sent_stories", ["chat_id", "sent_at"])
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        _chat_fk("digest_deliveries"),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        _when("claimed_at"),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        _when("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digest_deliveries"),
        sa.UniqueConstraint("chat_id", "local_date", name="uq_digest_deliveries_chat_date"),
        sa.CheckConstraint(
            "status IN ('claimed', 'sent', 'failed')", name=op.f("ck_digest_deliveries_status")
        ),
    )
    op.create_table(
        "feed_state",
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        _when("checked_at"),
        sa.PrimaryKeyConstraint("feed_url", name="pk_feed_state"),
    )


def downgrade() -> None:
    op.drop_table("feed_state")
    op.drop_table("digest_deliveries")
    op.drop_index("ix_sent_stories_chat_sent_at", table_name="sent_stories")
    op.drop_table("sent_stories")
    op.drop_table("summaries")
    op.drop_table("articles")
    op.drop_table("subscriptions")
    op.drop_table("chats")
