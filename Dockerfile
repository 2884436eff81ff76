# Greenroom from this source tree, on SQLite by default. Build: docker build -t greenroom .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GREENROOM_DATABASE_URL=sqlite:////app/data/greenroom.db

RUN groupadd --system --gid 10001 greenroom \
 && useradd --system --uid 10001 --gid greenroom --home-dir /app --no-create-home --shell /usr/sbin/nologin greenroom

WORKDIR /app

# The package and what its build reads (pyproject.toml names README.md and LICENSE).
COPY pyproject.toml README.md LICENSE /src/
COPY src /src/src
RUN pip install /src && rm -rf /src

# The demo config and the demo catalog it loads; mount your own over them. The database lives in /app/data.
COPY app-config.yaml /app/app-config.yaml
COPY examples/demo-catalog /app/examples/demo-catalog
RUN mkdir -p /app/data && chown greenroom:greenroom /app/data
VOLUME ["/app/data"]

USER greenroom:greenroom
EXPOSE 7007

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:7007/healthcheck', timeout=4).status != 200)"]

CMD ["greenroom", "serve", "--host", "0.0.0.0", "--config", "/app/app-config.yaml"]
