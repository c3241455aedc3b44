# The bot in a slim image, on the Python CI tests (3.11). Build: docker build -t newsbot .
# Run:   docker run -d --env-file .env -v newsbot-data:/data newsbot
# Data:  the SQLite database always lives in /data (a named volume above), whatever .env says:
#        docker/newsbot (the `newsbot` on PATH) pins NEWSBOT_DATA_DIR, because `--env-file .env` would otherwise
#        override the image's ENV with .env's `./data` — a path inside the container's writable
#        layer, lost (silently) with every re-created container.
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY prompts ./prompts
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 newsbot
WORKDIR /app
COPY --from=build --chown=newsbot:newsbot /app /app
COPY --chmod=755 docker/newsbot /app/bin/newsbot
# METRICS_PORT is on in the image so that the HEALTHCHECK can ask /healthz; set it empty in
# the environment to turn the server off (the check then falls back to `newsbot status`).
ENV PATH="/app/bin:/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 NEWSBOT_DATA_DIR=/data METRICS_PORT=9100
RUN mkdir /data && chown newsbot:newsbot /data
VOLUME ["/data"]
# 8443: `newsbot run --webhook-url …` (the default --port); 9100: /healthz and /metrics.
EXPOSE 8443 9100
USER newsbot
# /healthz answers 503 when the database does not answer or digest rounds stopped ticking.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/bin/env", "NEWSBOT_DATA_DIR=/data", "/app/.venv/bin/python", "-m", "bot.healthcheck"]
ENTRYPOINT ["/app/bin/newsbot"]
CMD ["run"]
