# The application image: the `workflow` command, run as worker, scheduler, web or one-shot migrate.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --create-home --uid 10001 workflow
USER workflow
ENTRYPOINT ["workflow"]
CMD ["--help"]
