"""Durations and token counts as the run inspector shows them."""

from django import template

register = template.Library()


def _ms(ms: float) -> str:
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    minutes, seconds = divmod(ms / 1000, 60)
    return f"{minutes:.0f} min {seconds:.0f} s"


@register.filter
def ns_duration(value) -> str:
    """Nanoseconds as ms, s or min; a dash when not recorded."""
    return "–" if value is None else _ms(value / 1_000_000)


@register.filter
def ms_duration(value) -> str:
    return "–" if value is None else _ms(float(value))
