"""Bad arguments to the public API: one SymbpError naming the bad value and what is accepted.

Never a TypeError, AttributeError or IndexError from deep inside, and never a silent result
for an entry the network does not have. Oracles: the lecture's 3,2,2,1 network (its entries
W^{(1)}_{23} with two naive paths, W^{(2)}_{12} with one), and the accepted forms as the
docstrings state them.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symbp
from symbp import Entry, Network, SymbpError

NET = Network()  # 3,2,2,1
TINY = Network([1, 1], "identity", "squared_error")
SMALL = Network([2, 1], "sigmoid", "squared_error")
SMALL_POINT = {"x": [1.0, 2.0], "t": [0.5], "W1": [[0.1, 0.2]], "b1": [0.3]}


def derivation_calls(entries):
    """Every public function that takes entries, called with ``entries`` (small networks: fast when accepted)."""
    return {
        "naive": lambda: symbp.naive(NET, entries),
        "backprop": lambda: symbp.backprop(NET, entries),
        "reference": lambda: symbp.reference(NET, entries),
        "check": lambda: symbp.check(SMALL, entries=entries, points=1),
        "document": lambda: symbp.document(NET, entries=entries),
    }


# Entry objects, checked against the network -------------------------------------------------------

BAD_ENTRIES = [
    (Entry("Q", 1, 1), r"unknown entry 'Q1_1'"),  # no such kind
    (Entry("W", 9, 1, 1), r"layer 9 does not exist; layers are 1\.\.3"),
    (Entry("W", 1, 5, 1), r"layer 1 has units 1\.\.2, not 5"),
    (Entry("W", 1, 1, 4), r"layer 0 has units 1\.\.3, not 4"),
    (Entry("b", 1, 0), r"layer 1 has units 1\.\.2, not 0"),
    (Entry("W", 1, 1, 0), r"layer 0 has units 1\.\.3, not 0"),  # a weight without its column
    (Entry("z", 1, 1, 4), r"col 1\.\.D\(layer - 1\) for W and 0 otherwise"),  # a column on a z
    (Entry("W", "1", 1, 1), r"all whole numbers"),  # the name looks right, the field is text
]


@pytest.mark.parametrize("entry, problem", BAD_ENTRIES, ids=lambda v: repr(v) if isinstance(v, Entry) else "")
@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "check", "document"])
def test_an_entry_the_network_does_not_have_is_refused_naming_it(function, entry, problem):
    network = "3,2,2,1" if function != "check" else "2,1"
    for entries in (entry, [entry]):
        with pytest.raises(SymbpError, match=rf"{entry!r}".replace("(", r"\(").replace(")", r"\)") + rf" is not an entry of network {network}"):
            derivation_calls(entries)[function]()
    if function != "check":  # the same reason as the name would give
        with pytest.raises(SymbpError, match=problem):
            derivation_calls(entry)[function]()


@pytest.mark.parametrize("entry, problem", BAD_ENTRIES, ids=lambda v: repr(v) if isinstance(v, Entry) else "")
def test_looking_up_an_entry_the_network_does_not_have_is_refused(entry, problem):
    for result in (symbp.backprop(NET), symbp.naive(NET, ["W2_1_2", "W1_2_3"]), symbp.reference(NET, "b3_1")):
        with pytest.raises(SymbpError, match="is not an entry of network 3,2,2,1"):
            result.gradient(entry)


def test_a_valid_entry_object_is_the_entry_its_name_names():
    # The lecture: dC/dW^{(1)}_{23} has two paths, dC/dW^{(2)}_{12} one.
    assert len(symbp.naive(NET, Entry("W", 1, 2, 3)).paths) == 2
    assert [len(d.paths) for d in symbp.naive(NET, [Entry("W", 2, 1, 2), "W1_2_3"]).derivations] == [1, 2]
    assert symbp.backprop(NET).gradient(Entry("W", 1, 2, 3)).entry.name == "W1_2_3"
    as_object = symbp.document(NET, "notes.md", entries=[Entry("W", 1, 2, 3)])
    assert as_object == symbp.document(NET, "notes.md", entries=["W1_2_3"])
    assert {row.entry for row in symbp.check(SMALL, entries=[Entry("W", 1, 1, 2)], points=1).rows} == {"W1_1_2"}


def test_a_batch_network_refuses_an_entry_object_of_one_example():
    batch = Network([2, 1], "sigmoid", "squared_error", batch=2)
    with pytest.raises(SymbpError, match=r"each example has its own z"):
        symbp.backprop(batch, Entry("z", 1, 1))


# Arguments of the wrong type -----------------------------------------------------------------------------

NOT_A_NETWORK = [None, 3, 3.5, b"W1", "W1_1_1", [3, 2, 1], {"layers": [3, 2, 1]}]


@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "check", "document", "gradient_function",
                                      "gradient_at", "explore", "random_point"])
@pytest.mark.parametrize("junk", NOT_A_NETWORK, ids=repr)
def test_anything_but_a_network_first_is_refused_naming_it(function, junk):
    if function == "explore" and junk is None:
        return  # explore() without a network shows the lecture's: tested below
    arguments = {"gradient_at": (junk, {}), "random_point": (junk, None)}.get(function, (junk,))
    with pytest.raises(SymbpError, match=rf"{function}\(\) takes a Network first, not {type(junk).__name__}"):
        getattr(symbp, function)(*arguments)


def test_explore_without_a_network_shows_the_lecture_s():
    assert symbp.explore().network == Network()


@pytest.mark.parametrize("junk", [3, 3.5, b"W1", {"W1_1_1": 1}, [3], ["W1_1_1", None], [b"W1"], object()],
                         ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "check", "document"])
def test_entries_of_the_wrong_type_are_refused_naming_the_accepted_forms(function, junk):
    with pytest.raises(SymbpError, match=r"(is|are) not accepted; accepted: entry names or groups \(W<m>_<i>_<j>.*symbp.Entry"):
        derivation_calls(junk)[function]()


@pytest.mark.parametrize("empty", [[], (), set(), iter(())], ids=["list", "tuple", "set", "iterator"])
@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "check", "document"])
def test_an_empty_selection_is_refused_naming_what_may_be_chosen(function, empty):
    with pytest.raises(SymbpError, match=r"no entries chosen; name at least one: .*W<m>_<i>_<j>.*all"):
        derivation_calls(empty)[function]()


def test_entries_given_as_a_set_or_a_generator_are_the_entries_named():
    assert {e.name for e in symbp.backprop(NET, {"W2_1_2", "b3_1"}).entries} == {"W2_1_2", "b3_1"}
    assert [e.name for e in symbp.backprop(NET, (n for n in ["b3_1"])).entries] == ["b3_1"]


# Budgets --------------------------------------------------------------------------------------------------

BAD_BUDGETS = [math.nan, math.inf, "5", -1, 0, 2.5, True, [5]]


@pytest.mark.parametrize("budget", BAD_BUDGETS, ids=repr)
def test_a_budget_that_is_not_a_positive_whole_number_is_refused(budget):
    shown = repr(budget)[:3].replace("[", r"\[")
    calls = {
        "max_paths": [lambda: symbp.naive(NET, "W1_2_3", budget), lambda: symbp.naive(NET, "all", max_paths=budget),
                      lambda: symbp.check(SMALL, points=1, max_paths=budget),
                      lambda: symbp.document(NET, max_paths=budget),
                      lambda: symbp.gradient_at(SMALL, SMALL_POINT, "naive", max_paths=budget)],
        "max_work": [lambda: symbp.check(SMALL, points=1, max_work=budget)],
    }
    for name, functions in calls.items():
        for call in functions:
            with pytest.raises(SymbpError, match=rf"{name} {shown}.* must be a whole number of at least 1"):
                call()


def test_a_budget_of_none_is_the_default():
    # 3,16,16,16,1: the 48 entries of W^{(1)} alone have 16*16 paths each, 12,288, over the default 10,000.
    deep = Network([3, 16, 16, 16, 1])
    with pytest.raises(SymbpError, match=r"over the budget of 10,000") as default:
        symbp.naive(deep, "all")
    with pytest.raises(SymbpError, match=r"over the budget of 10,000") as none:
        symbp.naive(deep, "all", None)
    assert str(default.value) == str(none.value)
    # dC/dW^{(1)}_{11} of 2,2,9,9,1 has 9*9 = 81 paths, over the document's own default of 64.
    with pytest.raises(SymbpError, match=r"has 81 paths, over the budget of 64"):
        symbp.document(Network([2, 2, 9, 9, 1]), entries=["W1_1_1"], max_paths=None)


# Printers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [-5, 0, 0.5, math.nan, math.inf, 10**400, 2e6, "x", b"1", [30], True], ids=repr)
def test_a_width_that_is_not_a_positive_number_is_refused(width):
    derivation = symbp.naive(NET, "W2_1_2")
    with pytest.raises(SymbpError, match=r"width .* must be a number from 1 to 1,000,000"):
        symbp.latex(derivation, width=width)
    from symbp.printers import print_derivations

    with pytest.raises(SymbpError, match=r"width .* must be a number from 1 to 1,000,000"):
        print_derivations(NET, [derivation], "text", width)


@pytest.mark.parametrize("keyword, junk, shown", [
    ("width", "30", r"width '30' must be a number from 1 to 1,000,000"), ("width", 0, r"width 0 must be a number from 1 to 1,000,000"),
    ("template", 3, r"template 3 must be text \(a str\), not int"), ("title", None, r"title None must be text"),
    ("author", b"A", r"author b'A' must be text"), ("course", ["CSC311"], r"course \['CSC311'\] must be text"),
])
def test_document_refuses_a_bad_width_or_text_naming_it(keyword, junk, shown):
    with pytest.raises(SymbpError, match=shown):
        symbp.document(NET, **{keyword: junk})


@pytest.mark.parametrize("digits", [None, "4", 2.5, True, -1, 16], ids=repr)
def test_a_worked_example_refuses_digits_that_are_not_0_to_15(digits):
    with pytest.raises(SymbpError, match=r"digits .* give a whole number of 0 to 15 decimals"):
        symbp.document(SMALL, point=SMALL_POINT, digits=digits)


def test_latex_refuses_repeated_work_that_is_not_one():
    with pytest.raises(SymbpError, match=r"repeated 'x' must be the repeated work of naive expansions"):
        symbp.latex(symbp.naive(NET, "W2_1_2"), repeated="x")
    both = symbp.naive(NET, ["W2_1_2", "W1_2_3"])
    assert r"\underbrace" in symbp.latex(both.gradient("W1_2_3"), repeated=both.repeated)  # its own kind is accepted


def test_check_refuses_a_progress_that_is_not_a_function():
    with pytest.raises(SymbpError, match=r"progress 3 must be a function progress\(done, total\)"):
        symbp.check(SMALL, points=1, progress=3)


def test_a_cost_that_is_not_a_name_is_refused():
    with pytest.raises(SymbpError, match=r"unknown cost \['x'\]; known costs: .*squared_error"):
        Network([1, 1], "identity", ["x"])


def test_a_width_of_none_is_the_default():
    derivation = symbp.naive(NET, "W2_1_2")
    assert symbp.latex(derivation, width=None) == symbp.latex(derivation)


def test_printing_with_a_network_other_than_the_derivation_s_is_refused():
    derivation = symbp.naive(NET, "W2_1_2")
    with pytest.raises(SymbpError, match=r"network 2,1 .* is not the network of this NaiveDerivation \(3,2,2,1"):
        symbp.latex(derivation, SMALL)
    with pytest.raises(SymbpError, match=r"network 'notnet' must be a symbp.Network"):
        symbp.latex(derivation, "notnet")
    with pytest.raises(SymbpError, match=r"network 'notnet' must be a symbp.Network"):
        symbp.latex(symbp.build_graph(NET).W[2][0, 1], "notnet")
    from symbp.printers import print_derivations

    with pytest.raises(SymbpError, match=r"is not the network of this NaiveDerivation"):
        print_derivations(SMALL, [derivation], "latex")
    # Its own network, given again, is the same print.
    assert symbp.latex(derivation, NET) == symbp.latex(derivation)


# Exercises and the explorer -------------------------------------------------------------------------------


@pytest.mark.parametrize("knob, junk, shown", [
    ("kinds", None, "kinds None must be names"), ("kinds", 3, "kinds 3 must be names"),
    ("kinds", [3], r"kinds \[3\] must be names"), ("activations", None, "activations None must be names"),
    ("costs", [None], r"costs \[None\] must be names"), ("layers", None, "layers None must be text"),
    ("layers", [2, 1], r"layers \[2, 1\] must be text"),
])
def test_exercise_knobs_of_the_wrong_type_are_refused(knob, junk, shown):
    with pytest.raises(SymbpError, match=shown):
        symbp.exercises(count=1, **{knob: junk})


@pytest.mark.parametrize("keywords, shown", [
    ({"height": 0}, "height 0 must be a whole number of pixels"), ({"height": "720"}, "height '720' must be"),
    ({"title": None}, "title None must be text"),
    ({"point": {"x": [1]}}, "missing key|point"),  # refused at the call, not when Jupyter shows the page
    ({"network": Network([2, 1], "sigmoid", "squared_error", batch=2)}, "shows one example"),
])
def test_explore_refuses_its_arguments_at_the_call(keywords, shown):
    keywords = {"network": SMALL, **keywords}
    with pytest.raises(SymbpError, match=shown):
        symbp.explore(keywords.pop("network"), **keywords)


# Only SymbpError, whatever the junk -------------------------------------------------------------------------

JUNK = st.one_of(  # no None: a documented default for most of these, tested above
    st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-3, 9), st.text(max_size=4), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(Entry, st.sampled_from("WbzaQ"), st.integers(-1, 9), st.integers(-1, 9), st.integers(-1, 9)),
)

CALLS = {
    "naive network": lambda j: symbp.naive(j),
    "naive entries": lambda j: symbp.naive(TINY, j),
    "naive max_paths": lambda j: symbp.naive(TINY, "W1_1_1", j),
    "backprop network": lambda j: symbp.backprop(j),
    "backprop entries": lambda j: symbp.backprop(TINY, j),
    "reference entries": lambda j: symbp.reference(TINY, j),
    "check network": lambda j: symbp.check(j),
    "check entries": lambda j: symbp.check(TINY, entries=j, points=1),
    "check max_work": lambda j: symbp.check(TINY, entries="W1_1_1", points=1, max_work=j),
    "document network": lambda j: symbp.document(j),
    "document entries": lambda j: symbp.document(TINY, entries=j),
    "gradient_function network": lambda j: symbp.gradient_function(j),
    "gradient_at point": lambda j: symbp.gradient_at(TINY, j),
    "explore network": lambda j: symbp.explore(j),
    "explore height": lambda j: symbp.explore(TINY, height=j),
    "exercises kinds": lambda j: symbp.exercises(count=1, kinds=j),
    "exercises layers": lambda j: symbp.exercises(count=1, layers=j),
    "latex width": lambda j: symbp.latex(symbp.naive(TINY, "W1_1_1"), width=j),
    "latex network": lambda j: symbp.latex(symbp.naive(TINY, "W1_1_1"), j),
    "latex repeated": lambda j: symbp.latex(symbp.naive(TINY, "W1_1_1"), repeated=j),
    "check progress": lambda j: symbp.check(TINY, entries="W1_1_1", points=1, progress=j),
    "Network cost": lambda j: Network([1, 1], "identity", j),
    "lookup": lambda j: symbp.backprop(TINY).gradient(j),
}


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(call=st.sampled_from(sorted(CALLS)), junk=JUNK)
def test_public_functions_raise_only_symbp_error_for_junk(call, junk):
    try:
        CALLS[call](junk)
    except SymbpError as error:
        assert str(error) and "\n" not in str(error).strip()


def test_a_missing_example_is_blamed_not_the_layer_and_unit():
    """bp.delta(1, 1, example=3) on a batch of 2 said delta(1, 1) does not exist (breaker9 #9)."""
    batch = symbp.backprop(symbp.Network([2, 2, 1], "sigmoid", "squared_error", batch=2))
    with pytest.raises(SymbpError, match=r"^example 3 does not exist; the batch has examples 1\.\.2$"):
        batch.delta(1, 1, example=3)
    with pytest.raises(SymbpError, match=r"^delta\(1, 9\) does not exist"):
        batch.delta(1, 9, example=1)
    one = symbp.backprop(symbp.Network([2, 2, 1], "sigmoid", "squared_error"))
    with pytest.raises(SymbpError, match="example 2 does not exist: the network has one example"):
        one.delta(1, 1, example=2)


@pytest.mark.parametrize("function", ["naive", "backprop", "reference", "document"])
def test_the_call_a_wrong_first_argument_suggests_runs(function):
    """document()'s message suggested document(Network(), "W1_2_3"), which it refused (breaker9 #10)."""
    with pytest.raises(SymbpError) as refused:
        getattr(symbp, function)(None)
    suggestion = str(refused.value).split("e.g. ", 1)[1]
    assert suggestion.startswith(f"symbp.{function}(symbp.Network(), ")
    eval(suggestion, {"symbp": symbp})  # noqa: S307  (our own message, run as its reader would)
