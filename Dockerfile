# mailbot: the daemon in a slim image, run as a non-root user.
FROM python:3.11-slim

# LibreOffice reads legacy .doc forms; without it mailbot answers
# "cannot read .doc here, please send .docx or PDF".
RUN apt-get update \
 && apt-get install -y --no-install-recommends libreoffice-writer-nogui \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 mailbot
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mailbot ./mailbot
COPY parsers ./parsers
COPY templates ./templates
COPY config ./config
RUN pip install --no-cache-dir '.[postgres]'

ENV MAILBOT_CONFIG_DIR=/config \
    MAILBOT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
RUN mkdir -p /config /data && cp -r /app/config/. /config/ && chown -R mailbot /config /data
VOLUME ["/config", "/data"]
USER mailbot

# Healthy while every board's mailbox answered within the last 30 minutes.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m \
  CMD ["mailbot", "status", "--check", "--max-age-minutes", "30"]

ENTRYPOINT ["mailbot"]
CMD ["run"]
