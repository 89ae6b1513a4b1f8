"""One hierarchy of errors, each carrying a message fit to show a hub administrator."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error this system raises on purpose."""

    exit_code = 1


class SettingsError(WorkflowError):
    """A ``WORKFLOW_*`` setting is missing or malformed."""

    exit_code = 2


class DomainError(WorkflowError):
    """The programme's rules refuse the request."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the actor)."""


class NotPermitted(DomainError):
    """The actor's role does not allow this."""


class InvalidInput(DomainError):
    """The request is malformed: a bad date, an unknown school, an invalid email."""


class Conflict(DomainError):
    """Someone else changed the record first; nothing was written."""


class TransitionNotAllowed(DomainError):
    """The trigger is not allowed from the specialist's current state."""

    def __init__(self, trigger: str, state: str, allowed: list[str]):
        self.trigger, self.state, self.allowed = trigger, state, allowed
        # Named as the commands people type: the year triggers (start_year1, ...) are
        # fired by ``workflow advance``.
        commands = list(dict.fromkeys(command_for(t) for t in allowed))
        allowed_text = ", ".join(commands) if commands else "nothing"
        super().__init__(
            f"cannot {command_for(trigger)} a specialist who is {state};"
            f" from {state} you may: {allowed_text}"
        )


def command_for(trigger: str) -> str:
    """The command that fires a trigger (the year starts are ``advance``)."""
    return "advance" if trigger.startswith("start_") else trigger.replace("_", "-")


class GuardFailed(DomainError):
    """A guard refused the change; every reason is listed."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class RulesError(WorkflowError):
    """A cohort rules file is invalid: names the file, the field and the problem."""

    exit_code = 1


class DeliveryError(WorkflowError):
    """An email could not be handed to the mail server."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: SMTP 4xx, a refused or dropped connection."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: SMTP 5xx, an invalid address. Goes to the dead letters."""
