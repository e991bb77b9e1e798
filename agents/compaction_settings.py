"""An agent's `compaction_settings` (Letta's CompactionSettings): how its context is summarized when it fills.

Stored as given (after checking) on the agent and returned as given; compaction reads it through
`CompactionSettings.of(agent)`. The knobs our compaction has:
- `model`: the handle that writes summaries (else LETTA_SUMMARIZER_MODEL, else the agent's own model). Letta
  Cloud's router handles (`letta/auto`, which Letta Code sets on every agent it creates) mean "the server's
  choice": kept as given, and compaction picks as if no model were set;
- `sliding_window_percentage`: the share of the context window kept verbatim after a compaction;
- `mode`: `all` (and `self_compact_all`) summarizes everything but the newest turn; `sliding_window` (and
  `self_compact_sliding_window`) keeps the newest messages up to that share. Our summaries are written by a
  separate call either way, so the `self_compact_` modes act as their plain counterparts;
- `prompt`: the summarizer's instructions instead of ours;
- `clip_chars`: the longest summary kept, in characters.
`model_settings` and `prompt_acknowledgement` are accepted and stored but have no counterpart here.
"""

from dataclasses import dataclass

MODES = ("all", "sliding_window", "self_compact_all", "self_compact_sliding_window")
# Letta Cloud's model router: no provider here serves it, so it stands for the server's own choice.
SERVER_CHOICE = ("letta/auto", "letta/auto-fast")
KNOWN = (
    "model",
    "model_settings",
    "prompt",
    "prompt_acknowledgement",
    "clip_chars",
    "mode",
    "sliding_window_percentage",
)


class CompactionSettingsError(ValueError):
    """A compaction_settings value refused; the message names the key and what it takes."""


def clean(value: dict | None, organization_id: str | None = None) -> dict | None:
    """`value` with its null keys dropped, or a CompactionSettingsError naming what is wrong. The model handle is
    checked as an agent's own model is (given the organization: that a provider serves it)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CompactionSettingsError("compaction_settings must be an object.")
    unknown = sorted(set(value) - set(KNOWN))
    if unknown:
        raise CompactionSettingsError(f"compaction_settings has no {', '.join(unknown)}: it takes {', '.join(KNOWN)}.")
    settings = {key: v for key, v in value.items() if v is not None}
    mode = settings.get("mode")
    if mode is not None and mode not in MODES:
        raise CompactionSettingsError(f"compaction_settings.mode '{mode}' is not one of {', '.join(MODES)}.")
    share = settings.get("sliding_window_percentage")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1):
        raise CompactionSettingsError(
            f"compaction_settings.sliding_window_percentage must be a fraction between 0 and 1 (e.g. 0.3), not {share}."
        )
    clip = settings.get("clip_chars")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, int) or clip < 1):
        raise CompactionSettingsError(f"compaction_settings.clip_chars must be a positive integer, not {clip}.")
    prompt = settings.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        raise CompactionSettingsError("compaction_settings.prompt must be non-empty text.")
    if "model" in settings and settings["model"] not in SERVER_CHOICE:
        _check_model(settings["model"], organization_id)
    return settings or None


def _check_model(handle, organization_id: str | None) -> None:
    from agents.providers import ModelConfigError, parse_handle, resolve

    if not isinstance(handle, str):
        raise CompactionSettingsError("compaction_settings.model must be a model handle such as 'openai/gpt-4.1-mini'.")
    try:
        parse_handle(handle)
        if organization_id is not None:
            resolve(handle, organization_id)
    except (ModelConfigError, ValueError) as exc:
        raise CompactionSettingsError(f"compaction_settings.model: {exc}") from exc


@dataclass(frozen=True, slots=True)
class CompactionSettings:
    model: str | None = None
    prompt: str | None = None
    clip_chars: int | None = None
    mode: str = "sliding_window"
    sliding_window_percentage: float | None = None

    @classmethod
    def of(cls, agent) -> "CompactionSettings":
        stored = agent.compaction_settings or {}
        return cls(
            model=None if stored.get("model") in SERVER_CHOICE else stored.get("model"),
            prompt=stored.get("prompt"),
            clip_chars=stored.get("clip_chars"),
            mode=stored.get("mode") or "sliding_window",
            sliding_window_percentage=stored.get("sliding_window_percentage"),
        )

    @property
    def keep_fraction(self) -> float | None:
        """The share of the window kept verbatim, or None for compaction's own default."""
        if self.mode in ("all", "self_compact_all"):
            return 0.0
        return self.sliding_window_percentage

    def clip(self, summary: str) -> str:
        if self.clip_chars is None or len(summary) <= self.clip_chars:
            return summary
        return summary[: self.clip_chars]
