# smi-ui image: front-end assets from npm, then a slim Python runtime running as non-root.
# Build: docker build -t smi-ui .   Run: see deploy/ and README ("Install in a cluster").

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/ scripts/
RUN npm run vendor

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SMI_UI_DATA_DIR=/tmp/smi-ui
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY manage.py ./
COPY smi_ui/ smi_ui/
COPY templates/ templates/
COPY static/ static/
COPY --from=assets /src/static/vendor/ static/vendor/
# collectstatic needs a key to import settings; this one is thrown away with the build layer.
RUN SECRET_KEY=collectstatic-only-thrown-away-with-this-build-layer-0123456789 STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin smi-ui
ENV STATIC_ROOT=/app/staticfiles
USER 10001
EXPOSE 8000
# daphne with query values kept out of its access log (smi_ui.ops.webserver).
CMD ["python", "-m", "smi_ui.ops.webserver", "-b", "0.0.0.0", "-p", "8000", "smi_ui.asgi:application"]
