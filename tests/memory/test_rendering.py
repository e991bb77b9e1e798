from memory.rendering import SHOW_WHOLE_UP_TO, edited_view


def test_a_short_block_is_shown_whole():
    heading, shown = edited_view("a", "a\nb")
    assert heading == "Here is the new content of the block" and shown == "a\nb"


def test_a_long_block_shows_the_edited_lines_with_context():
    lines = [f"line {i} " + "x" * 40 for i in range(100)]
    after = lines[:50] + ["NEW"] + lines[50:]
    heading, shown = edited_view("\n".join(lines), "\n".join(after))
    assert heading == "Here are lines 48-54 of the 101 in the block, around the edit"
    assert shown.split("\n")[3] == "NEW" and len(shown.split("\n")) == 7


def test_one_huge_line_shows_characters_around_the_change():
    before = "x" * (5 * SHOW_WHOLE_UP_TO)
    after = before[:3000] + "NEW" + before[3000:]
    heading, shown = edited_view(before, after)
    assert "NEW" in shown and len(shown) <= 1.5 * SHOW_WHOLE_UP_TO + 2
