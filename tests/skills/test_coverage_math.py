"""The coverage figures on plain ids: holders at level 2 or more, bus factor, gaps,
the "dragon warrior"."""

from hypothesis import given
from hypothesis import strategies as st

from skills.selectors import coverage_math

K8S, TF, MLFLOW, FEAST = 1, 2, 3, 4
ANNA, BORIS, VERA = 10, 20, 30
MLOPS, DATA = 100, 200


def test_holders_count_only_level_two_and_up():
    math = coverage_math(
        [K8S, TF],
        {(ANNA, K8S): 2, (BORIS, K8S): 1, (VERA, K8S): 3, (ANNA, TF): 1},
        {},
        [],
    )
    assert math.holders == {K8S: {ANNA, VERA}, TF: set()}
    assert math.bus_factor == []
    assert math.uncovered == [TF]


def test_bus_factor_is_a_skill_exactly_one_person_holds():
    math = coverage_math(
        [K8S, TF, MLFLOW],
        {(ANNA, K8S): 3, (ANNA, TF): 2, (BORIS, TF): 2, (VERA, MLFLOW): 2, (BORIS, MLFLOW): 1},
        {},
        [],
    )
    assert math.bus_factor == [K8S, MLFLOW]
    assert math.sole_holder_of == {ANNA: [K8S], VERA: [MLFLOW]}


def test_the_dragon_warrior_is_the_sole_holder_of_the_most_skills():
    math = coverage_math(
        [K8S, TF, MLFLOW, FEAST],
        {(ANNA, K8S): 3, (ANNA, TF): 2, (ANNA, FEAST): 2, (BORIS, MLFLOW): 2},
        {},
        [],
    )
    assert math.dragon == (ANNA, [K8S, TF, FEAST])


def test_no_dragon_when_every_skill_has_two_holders():
    math = coverage_math([K8S], {(ANNA, K8S): 2, (BORIS, K8S): 3}, {}, [])
    assert math.dragon is None


def test_a_gap_is_a_needed_skill_nobody_in_the_role_has_at_the_level():
    math = coverage_math(
        [K8S, TF, FEAST],
        # VERA holds Feast but is not in DATA: that does not close DATA's gap.
        {(ANNA, K8S): 2, (ANNA, TF): 1, (VERA, FEAST): 3, (BORIS, K8S): 3},
        {MLOPS: {ANNA}, DATA: {BORIS}},
        [(MLOPS, K8S, 2), (MLOPS, TF, 2), (DATA, FEAST, 2), (DATA, K8S, 3)],
    )
    assert math.gaps == [(MLOPS, TF, 2), (DATA, FEAST, 2)]


def test_a_role_without_people_has_every_need_as_a_gap():
    math = coverage_math([K8S], {(ANNA, K8S): 3}, {MLOPS: set()}, [(MLOPS, K8S, 1)])
    assert math.gaps == [(MLOPS, K8S, 1)]


@given(
    levels=st.dictionaries(
        st.tuples(st.integers(1, 6), st.integers(1, 5)), st.integers(0, 3), max_size=30
    ),
    members=st.dictionaries(st.integers(1, 3), st.sets(st.integers(1, 6)), max_size=3),
    needs=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 3)), max_size=8),
)
def test_the_figures_agree_with_each_other(levels, members, needs):
    skills = [1, 2, 3, 4, 5]
    math = coverage_math(skills, levels, members, needs)
    for sid in skills:
        expected = {p for (p, s), lv in levels.items() if s == sid and lv >= 2}
        assert math.holders[sid] == expected
    assert math.bus_factor == [s for s in skills if len(math.holders[s]) == 1]
    assert sorted(s for ss in math.sole_holder_of.values() for s in ss) == math.bus_factor
    if math.dragon:
        assert len(math.dragon[1]) == max(len(v) for v in math.sole_holder_of.values())
    else:
        assert math.bus_factor == []
    for role, skill, level in needs:
        covered = any(levels.get((p, skill), 0) >= level for p in members.get(role, ()))
        assert ((role, skill, level) in math.gaps) == (not covered)
