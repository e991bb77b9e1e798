"""The base of every error a user can cause and fix: it carries its HTTP meaning, so it is mapped to a response once.

Services and the runtime raise subclasses of `DomainError` with the status the API answers for them; the one
exception handler (`accounts.api_errors`) turns any of them into the reference's `{"detail": message}` body, so
views never catch and re-raise by hand. Outside HTTP the error is an ordinary exception: `str(exc)` is the
message, which is what the memory tools hand back to the model.
"""


class DomainError(Exception):
    """A request refused for a reason the caller can fix; nothing was changed.

    `status_code` and `code` are class defaults; an instance may override the status where one error class
    answers differently by cause (e.g. the status a provider answered). Keyword arguments are structured extras
    (e.g. `run_id`) sent beside `detail`, together with `code`, and readable as attributes (`exc.run_id`).
    """

    status_code = 400
    code = "invalid_request"

    def __init__(self, message: str, *, status_code: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra
        vars(self).update(extra)
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict:
        """The response body: the message as `detail`; with extras, the code and extras beside it."""
        if not self.extra:
            return {"detail": self.message}
        return {"detail": self.message, "code": self.code, **self.extra}


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"
