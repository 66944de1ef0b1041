"""Domain errors; the web layer maps them to 404/403/400, flow tasks let them fail the task."""


class DomainError(Exception):
    """Something the domain refuses; the message is for the log, not for the user."""


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know it exists (answered as 404)."""


class NotAllowed(DomainError):
    """The actor may see the thing but not do this to it."""


class InvalidState(DomainError):
    """The thing is not in a state that allows this (e.g. the task is already done)."""


class MissingDate(InvalidState):
    """The step asks for a date (e.g. the signing date) and none was given."""


class InvalidToken(DomainError):
    """An account link that cannot be used; `reason` is "unknown", "expired" or "used"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooManyWrongPasswords(DomainError):
    """The fifth wrong password (or second-factor code) in a row typed inside a session: the
    account is locked as after five failed logins, and the caller ends the session."""


class WeakPassword(DomainError):
    """A new password that breaks the rules; `verdict` says which (PasswordVerdict)."""

    def __init__(self, verdict):
        super().__init__(", ".join(verdict.problems))
        self.verdict = verdict


class InvalidMessage(DomainError):
    """A message that cannot be sent; `reason` is "subject_required", "body_required",
    "subject_too_long", "body_too_long" or "unknown_attachment"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
