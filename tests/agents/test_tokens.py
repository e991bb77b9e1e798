from agents.tokens import count_text


def test_openai_models_are_counted_exactly_offline():
    count = count_text("The quick brown fox jumps over the lazy dog.", "gpt-4.1-mini")
    assert count.tokens == 10 and not count.estimate


def test_models_without_an_encoding_are_marked_as_estimates():
    count = count_text("The quick brown fox", "claude-sonnet-4-5")
    assert count.tokens > 0 and count.estimate


def test_whether_counts_are_estimates_is_read_from_the_model_name():
    from agents.tokens import encoding_name, is_estimate

    assert not is_estimate("gpt-4.1-mini") and encoding_name("gpt-4.1-mini") == "o200k_base"
    assert is_estimate("claude-sonnet-4-5") and encoding_name("claude-sonnet-4-5") == "o200k_base"
