# One image for every backend service. Each Deployment picks its service with one argument,
# the app factory: `backend.<service>.app:create_app` (see deploy/k8s/).
#
# Targets: `runtime` (the default, last stage) for clusters; `dev` for `skaffold dev`, which
# reloads on file changes and lets Skaffold sync edited sources into the running container.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.13.9-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes, not on every edit.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-group frontend --no-group tools --no-install-project

FROM python:3.13.9-slim-bookworm AS base
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
EXPOSE 8000
# Kubernetes ignores HEALTHCHECK (it has its own probes); plain `docker run` uses it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["uvicorn", "--factory", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
CMD ["backend.auth.app:create_app"]

FROM base AS dev
# Sources owned by the app user so that `skaffold dev` can sync edits in; uvicorn reloads.
COPY --chown=10001:10001 wire ./wire
COPY --chown=10001:10001 backend ./backend
USER 10001:10001
ENTRYPOINT ["uvicorn", "--factory", "--host", "0.0.0.0", "--port", "8000", "--reload", "--reload-dir", "/app/backend", "--reload-dir", "/app/wire"]
CMD ["backend.auth.app:create_app"]

FROM base AS runtime
# Sources owned by root: the service cannot modify its own code. `wire` is the public
# contract (values, views, live messages) the services share with their clients.
COPY wire ./wire
COPY backend ./backend
USER 10001:10001
