# Production image for the web, worker and beat services (see docker-compose.yml).
FROM python:3.13-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    VIRTUAL_ENV=/app/.venv PATH="/app/.venv/bin:$PATH"
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-default-groups --no-install-project
COPY . .
# collectstatic needs settings but no database or real secret.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --no-input
RUN useradd --create-home viva && mkdir -p /app/var && chown -R viva /app/var
USER viva
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
