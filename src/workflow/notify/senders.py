"""Senders hand a ``FinishedEmail`` (notify/mime.py) to the world and return its message id.

``FileSender`` (the embedded default) writes one .eml file per message. The SMTP sender
lives in ``notify/smtp.py``; ``make_sender`` picks one from the settings. A sender raises
``TransientDeliveryError`` when retrying may help and ``PermanentDeliveryError`` when it
will not.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workflow.errors import TransientDeliveryError
from workflow.notify.mime import FinishedEmail

if TYPE_CHECKING:
    from workflow.config import Settings


class Sender(Protocol):
    def send(self, email: FinishedEmail) -> str:
        """Deliver ``email``; return the provider's message id."""
        ...

    def close(self) -> None: ...


class FileSender:
    """Writes each message to ``<folder>/<message-id>.eml``, atomically (no half files).

    A folder that cannot be made or written (missing, read-only, full) is a
    ``TransientDeliveryError`` naming the folder: the email is retried (an operator may fix
    the folder meanwhile), then dead-lettered with that reason; never dropped.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, email: FinishedEmail) -> str:
        message_id = email.message_id.strip("<>")
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in message_id)
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(email.data)
            os.replace(tmp, self.folder / f"{safe}.eml")
        except OSError as exc:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            raise TransientDeliveryError(
                f"cannot write to the mail folder {self.folder}"
                f" (WORKFLOW_MAIL_DIR): {exc.strerror or exc}"
            ) from None
        return message_id

    def close(self) -> None:
        pass


def make_sender(settings: Settings) -> Sender:
    """SMTP when ``WORKFLOW_SMTP_URL`` is set, else .eml files in ``WORKFLOW_MAIL_DIR``."""
    if settings.smtp_url:
        # Imported here: smtplib and ssl add about 12 ms to every command's start, and
        # the embedded default (and most commands) never speak SMTP.
        from workflow.notify.smtp import SmtpSender

        return SmtpSender(settings.smtp_url)
    return FileSender(settings.mail_dir)
