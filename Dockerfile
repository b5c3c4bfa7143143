# zhibu in a container: `zhibu serve` as a non-root user, PostgreSQL driver included.
# Build: docker build -t zhibu .   Run with PostgreSQL: docker compose up -d (compose.yaml).
# Configuration comes from ZHIBU_* environment variables (README "Configuration"), or from a
# zhibu.toml mounted at /srv/zhibu/zhibu.toml.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY storage ./storage
RUN python -m venv /opt/zhibu && /opt/zhibu/bin/pip install ".[postgres]"

FROM python:3.11-slim-bookworm
ENV PATH=/opt/zhibu/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ZHIBU_CONFIG=/srv/zhibu/zhibu.toml \
    ZHIBU_DATA_DIR=/srv/zhibu/data \
    ZHIBU_CACHE_DIR=/srv/zhibu/cache
RUN useradd --system --uid 10001 --create-home --home-dir /srv/zhibu zhibu \
    && mkdir /srv/zhibu/data /srv/zhibu/cache \
    && chown zhibu:zhibu /srv/zhibu/data /srv/zhibu/cache
COPY --from=build /opt/zhibu /opt/zhibu
USER 10001:10001
WORKDIR /srv/zhibu
VOLUME ["/srv/zhibu/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
# SIGTERM lets in-flight sends finish: give it 30 s (docker stop -t 30; compose sets stop_grace_period)
CMD ["zhibu", "serve", "--host", "0.0.0.0", "--port", "8000"]
