"""Showing a block edit back to whoever made it (the model, in a tool return)."""

# Blocks up to this size are shown whole after an edit; longer ones show the edited lines with some context.
SHOW_WHOLE_UP_TO = 2000
CONTEXT_LINES = 3


def edited_view(before: str, after: str) -> tuple[str, str]:
    """A heading and the text to show for an edit from `before` to `after`."""
    if len(after) <= SHOW_WHOLE_UP_TO:
        return "Here is the new content of the block", after
    old, new = before.split("\n"), after.split("\n")
    first = 0
    while first < min(len(old), len(new)) and old[first] == new[first]:
        first += 1
    tail = 0  # lines equal at the end, not overlapping the common start
    while tail < min(len(old), len(new)) - first and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(0, first - CONTEXT_LINES)
    end = min(len(new), len(new) - tail + CONTEXT_LINES)
    if end <= start:  # a pure deletion at the very end leaves nothing changed to show; show the new ending
        start = max(0, len(new) - CONTEXT_LINES)
        end = len(new)
    shown = "\n".join(new[start:end])
    if len(shown) > 2 * SHOW_WHOLE_UP_TO:  # very long lines: show characters around the first change instead
        at = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
        lo, hi = max(0, at - SHOW_WHOLE_UP_TO // 2), at + SHOW_WHOLE_UP_TO
        return "Here is the block's text around the edit", "…" * (lo > 0) + after[lo:hi] + "…" * (hi < len(after))
    return f"Here are lines {start + 1}-{end} of the {len(new)} in the block, around the edit", shown
