# The Databourse API and worker image. Configuration comes only from DATABOURSE_* variables.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY marketplace ./marketplace
COPY ledger ./ledger
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home /app bourse \
    && mkdir -p /app/var && chown bourse /app/var
USER bourse
EXPOSE 8000
# /health reads the chain, which is not essential (degraded, still 200): a node that hangs holds
# the read for its 5 s RPC timeout, so the check waits longer than that before calling it a failure.
HEALTHCHECK --interval=10s --timeout=15s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["bourse", "serve", "--host", "0.0.0.0", "--workers", "4"]
