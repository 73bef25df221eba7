# Build stage: install the pinned dependencies into a virtual environment.
FROM python:3.11-slim AS build
WORKDIR /build
RUN python -m venv /opt/venv
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

# Runtime stage: slim Python, the fonts the PDFs are typeset in, the PostgreSQL client
# tools `python -m app backup` and `restore` run, and a non-root user.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-noto-color-emoji postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /srv/homeward homeward
WORKDIR /srv/homeward
COPY --from=build /opt/venv /opt/venv
COPY --chown=homeward:homeward app ./app
COPY --chown=homeward:homeward templates ./templates
COPY --chown=homeward:homeward framework_content ./framework_content
# The trainer's guide (docs/content.md) and its screenshots are served at /content/guide.
COPY --chown=homeward:homeward docs/content.md ./docs/content.md
COPY --chown=homeward:homeward docs/images ./docs/images
COPY --chown=homeward:homeward docker-entrypoint.sh ./
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOMEWARD_ENVIRONMENT=production \
    HOMEWARD_DATA_DIR=/srv/homeward/data
USER homeward
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request, os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=4)"
ENTRYPOINT ["./docker-entrypoint.sh"]
