# Slim image that runs the bot. Build: docker build -t newsbot .  Run: docker run --env-file .env newsbot
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY prompts ./prompts
RUN uv sync --frozen --no-dev

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 newsbot
WORKDIR /app
COPY --from=build --chown=newsbot:newsbot /app /app
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 NEWSBOT_DATA_DIR=/data
RUN mkdir /data && chown newsbot:newsbot /data
VOLUME ["/data"]
USER newsbot
CMD ["newsbot", "run"]
