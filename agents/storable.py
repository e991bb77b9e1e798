"""Text the database cannot store: PostgreSQL rejects NUL characters in text, and no database can encode an
unpaired UTF-16 surrogate (JSON's `"\\ud83f"` alone) as UTF-8.

Input carrying either is refused where it enters (the API's parsers and query strings, agent files) with a clear
message, instead of failing at the INSERT with a 500, possibly after part of the work was done.
"""


def problem_in(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate"
    return None


def unstorable(value, path: str = "") -> str | None:
    """Names the first string (or key) in `value`, parsed JSON, that cannot be stored, and why; None if all can."""
    if isinstance(value, str):
        problem = problem_in(value)
        return f"{f'`{path}`' if path else 'the text'} {problem}, which cannot be stored" if problem else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and (problem := problem_in(key)):
            return f"a key in `{path or 'the body'}` {problem}, which cannot be stored"
        if message := unstorable(item, where):
            return message
    return None
