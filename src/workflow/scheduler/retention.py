"""The daily retention job: the scheduler applies the personal data retention rules.

``run_retention`` is what the APScheduler job ``retention`` (``runner.py``) runs once a day
at ``RETENTION_TIME`` in the configured time zone. The rules themselves, and why they are
safe to run twice, are in ``services/gdpr/retention.py``; a run missed while the scheduler
was down is run once on start (APScheduler's coalescing and grace time). Its log lines
carry counts and specialist ids, never names or addresses.
"""

from __future__ import annotations

import logging
from datetime import time
from typing import TYPE_CHECKING

from workflow.errors import WorkflowError
from workflow.services.gdpr.retention import RetentionReport, Rules, apply_retention

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

RETENTION_TIME = time(2, 30)  # local time: quiet, and after the evening's work


def run_retention(runtime: Runtime) -> RetentionReport | None:
    """Apply the retention rules as of the runtime's clock; a refusal is logged, not raised
    (the dispatch job must go on), and the next day tries again."""
    settings = runtime.settings
    try:
        report = apply_retention(runtime.uow(), Rules.from_settings(settings), runtime.clock.now())
    except WorkflowError as exc:
        logger.error("retention not applied: %s", exc)
        return None
    logger.info(
        "retention: %d not selected erased %s, %d who left erased %s, %d email payloads cleared",
        len(report.not_selected_erased),
        report.not_selected_erased,
        len(report.left_erased),
        report.left_erased,
        report.email_content_cleared,
    )
    return report
