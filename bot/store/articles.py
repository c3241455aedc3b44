"""`Articles`: the shared link cache, one article per canonical URL and its summaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import col

from bot.article import Article, Summary
from bot.store.records import CachedSummary
from bot.store.session import Database, aware, dml, rowcount
from bot.store.tables import ArticleRow, SummaryRow
from bot.store.types import utcnow

# Characters of an article kept for questions: far more than any news story, and a bound on
# what one hostile page can make the database hold.
MAX_KEPT_TEXT = 200_000


class Articles:
    """Articles and summaries shared by every chat and process."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_summary(
        self, canonical_url: str, lang: str | None, *, summarizer: str | None = None
    ) -> CachedSummary | None:
        """The newest stored summary of this article in this language, if any."""
        query = (
            select(SummaryRow, ArticleRow)
            .join(ArticleRow, col(ArticleRow.canonical_url) == col(SummaryRow.canonical_url))
            .where(
                col(SummaryRow.canonical_url) == canonical_url,
                col(SummaryRow.lang) == (lang or ""),
            )
            .order_by(col(SummaryRow.created_at).desc(), col(SummaryRow.id).desc())
            .limit(1)
        )
        if summarizer is not None:
            query = query.where(col(SummaryRow.summarizer) == summarizer)
        with self._db.read() as session:
            hit = session.execute(query).first()
            if hit is None:
                return None
            summary_row, article_row = hit
            return _cached_summary(summary_row, article_row)

    def put_summary(
        self, article: Article, summary: Summary, canonical_url: str, lang: str | None
    ) -> None:
        """Store (or replace) an article and its summary; concurrent puts of a key are fine."""
        now = utcnow()
        article_values = {
            "url": article.url,
            "final_url": article.final_url,
            "title": article.title,
            "text": article.text,
            "site": article.site,
            "published": aware(article.published),
            "language": article.language,
            "fetched_at": now,
        }
        summary_values = {
            "points": list(summary.points),
            "partial": summary.partial,
            "dropped_points": summary.dropped_points,
            "created_at": now,
        }
        with self._db.write() as session:
            dml(
                session,
                self._db.insert(ArticleRow)
                .values(canonical_url=canonical_url, **article_values)
                .on_conflict_do_update(index_elements=["canonical_url"], set_=article_values),
            )
            dml(
                session,
                self._db.insert(SummaryRow)
                .values(
                    canonical_url=canonical_url,
                    lang=lang or "",
                    summarizer=summary.summarizer,
                    **summary_values,
                )
                .on_conflict_do_update(
                    index_elements=["canonical_url", "lang", "summarizer"], set_=summary_values
                ),
            )

    def put_article(self, article: Article, canonical_url: str) -> None:
        """Keep an article's text without a summary (one read for a digest, or summarized
        while the model was down), so that a question about it can be answered later."""
        values = {
            "url": article.url,
            "final_url": article.final_url,
            "title": article.title,
            "text": article.text[:MAX_KEPT_TEXT],
            "site": article.site,
            "published": aware(article.published),
            "language": article.language,
            "fetched_at": utcnow(),
        }
        with self._db.write() as session:
            dml(
                session,
                self._db.insert(ArticleRow)
                .values(canonical_url=canonical_url, **values)
                .on_conflict_do_update(index_elements=["canonical_url"], set_=values),
            )

    def get_articles(self, canonical_urls: Sequence[str]) -> dict[str, Article]:
        """The stored articles of these URLs (those pruned or never read are missing)."""
        if not canonical_urls:
            return {}
        query = select(ArticleRow).where(col(ArticleRow.canonical_url).in_(set(canonical_urls)))
        with self._db.read() as session:
            return {row.canonical_url: _article(row) for row in session.scalars(query)}

    def prune(self, older_than: datetime) -> int:
        """Drop cached articles (and their summaries) fetched before `older_than`.

        Full article text is the bulk of the database (ten links grew it by 53 MB); the
        cache only has to outlive the days a link is shared.
        """
        with self._db.write() as session:
            old = select(col(ArticleRow.canonical_url)).where(
                col(ArticleRow.fetched_at) < older_than
            )
            dml(session, delete(SummaryRow).where(col(SummaryRow.canonical_url).in_(old)))
            result = dml(
                session, delete(ArticleRow).where(col(ArticleRow.fetched_at) < older_than)
            )
            return rowcount(result)


def _cached_summary(summary: SummaryRow, article: ArticleRow) -> CachedSummary:
    return CachedSummary(
        article=_article(article),
        summary=Summary(
            points=list(summary.points),
            summarizer=summary.summarizer,
            language=summary.lang or None,
            partial=summary.partial,
            dropped_points=summary.dropped_points,
        ),
        canonical_url=summary.canonical_url,
        created_at=summary.created_at,
    )


def _article(row: ArticleRow) -> Article:
    return Article(
        url=row.url,
        final_url=row.final_url,
        title=row.title,
        text=row.text,
        site=row.site,
        published=row.published,
        language=row.language,
    )
