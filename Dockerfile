# The test image: core + every plugin (editable) + the pinned dev tools, on the default Python.
#   make docker-build && make test-docker
FROM python:3.12-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# redis-server and prometheus: the Redis and Prometheus tests start real ones of their own (and
# fail without them under CI).
RUN apt-get update \
    && apt-get install -y --no-install-recommends make git redis-server prometheus \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN make dev PYTHON=python3 VENV=/opt/venv

ENV PATH=/opt/venv/bin:$PATH
CMD ["make", "test", "VENV=/opt/venv"]
