# One image for web and workers. Build the GPU worker with `--build-arg EXTRAS=gpu` so vLLM is in it.
FROM python:3.11-slim-bookworm

ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    TOOLRL_VAR_DIR=/var/lib/toolrl TOOLRL_UPLOADS_DIR=/data/uploads TOOLRL_ARTIFACTS_DIR=/data/artifacts

RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY toolrl ./toolrl
COPY workers ./workers
RUN pip install --upgrade pip && \
    if [ -n "$EXTRAS" ]; then pip install ".[$EXTRAS]"; else pip install .; fi
COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput -v 0 && \
    mkdir -p /var/lib/toolrl /data/uploads /data/artifacts && \
    useradd --create-home --uid 1000 toolrl && chown -R toolrl /var/lib/toolrl /data
USER toolrl
EXPOSE 8000
CMD ["gunicorn", "--pythonpath", "platform", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "toolrl_web.wsgi:application"]
