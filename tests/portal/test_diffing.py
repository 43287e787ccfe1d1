"""The portal's one diff: changed words marked, unchanged runs folded, both views."""

from portal import diffing

OLD = "\n".join(f"line {n}" for n in range(1, 31))
NEW = OLD.replace("line 15", "line fifteen")


def test_it_marks_only_the_changed_words_of_a_line():
    left, right = diffing.words("Keep one copy, daily.", "Keep two copies, daily.")
    assert [s.text for s in left if s.changed] == ["one", "copy"]
    assert [s.text for s in right if s.changed] == ["two", "copies"]
    assert "".join(s.text for s in left) == "Keep one copy, daily."


def test_it_folds_unchanged_runs_and_keeps_context_around_the_change():
    d = diffing.unified(OLD, NEW, old_label="v1.0", new_label="v2.0")
    kinds = [item.kind for item in d.items]
    assert kinds == ["fold"] + ["ctx"] * 3 + ["del", "add"] + ["ctx"] * 3 + ["fold"]
    assert [f.count for f in d.items if f.kind == "fold"] == [11, 12]
    assert (d.added, d.removed) == (1, 1)
    changed = next(item for item in d.items if item.kind == "add")
    assert (changed.new_no, changed.text) == (15, "line fifteen")


def test_the_side_by_side_view_pairs_a_changed_line_with_its_old_form():
    d = diffing.side_by_side(OLD, NEW, old_label="v1.0", new_label="v2.0")
    row = next(item for item in d.items if item.kind == "chg")
    assert (row.old_no, row.new_no) == (15, 15)
    assert [s.text for s in row.new if s.changed] == ["fifteen"]


def test_identical_texts_are_shown_whole_and_say_so():
    d = diffing.diff(OLD, OLD, old_label="a", new_label="b", mode="side")
    assert d.identical and all(item.kind == "ctx" for item in d.items)


def test_unequal_replacements_keep_every_line():
    d = diffing.unified("a\nb\n", "x\ny\nz\n", old_label="a", new_label="b")
    assert [(i.kind, i.text) for i in d.items] == [
        ("del", "a"),
        ("del", "b"),
        ("add", "x"),
        ("add", "y"),
        ("add", "z"),
    ]
    s = diffing.side_by_side("a\nb\n", "x\ny\nz\n", old_label="a", new_label="b")
    assert [i.kind for i in s.items] == ["chg", "chg", "add"]
