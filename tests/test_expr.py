"""The safe expression parser: accepted grammar, refusals, limits and fuzzing.

The fuzz tests compare graphgrad's parse-and-evaluate with an evaluator of the
grammar written here, on trees generated here (never parsed by graphgrad).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from graphgrad import Value
from graphgrad.expr import MAX_DEPTH, ExpressionError, evaluate, parse
from graphgrad.graph import topological_order


def value_of(text: str, **values: float) -> float:
    result = evaluate(parse(text), values).data
    assert isinstance(result, float)
    return result


# --- what is accepted -------------------------------------------------------------------------


def test_the_notes_example_and_its_gradients() -> None:
    expression = parse("3*(a+b*c)")
    assert expression.variables == ("a", "b", "c")
    J = evaluate(expression, {"a": 5.0, "b": 3.0, "c": 2.0})
    assert J.label == "J" and J.data == 33.0
    J.backward()
    leaves = {x.label: x for x in J.inputs[1].inputs + J.inputs[1].inputs[1].inputs}
    assert (leaves["a"].grad, leaves["b"].grad, leaves["c"].grad) == (3.0, 6.0, 9.0)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("1 + 2 * 3", {}, 7.0),
        ("(1 + 2) * 3", {}, 9.0),
        ("2 ** 3 ** 2", {}, 512.0),  # right-associative, as in Python
        ("-2 ** 2", {}, -4.0),  # unary minus binds looser than **
        ("a / b / 2", {"a": 8.0, "b": 2.0}, 2.0),
        ("a - -b", {"a": 1.0, "b": 2.0}, 3.0),
        ("+a", {"a": 4.0}, 4.0),
        ("x ** -1", {"x": 4.0}, 0.25),
        ("2 ** x", {"x": 3.0}, 8.0),
        ("1.5e1 + .5", {}, 15.5),
        ("exp(0) + log(1) + tanh(0) + relu(-3) + relu(2)", {}, 3.0),
        ("sigmoid(0)", {}, 0.5),
        ("softplus(0)", {}, math.log(2.0)),
        ("  w_1*x1 + b  ", {"w_1": 2.0, "x1": 3.0, "b": 1.0}, 7.0),
        ("(a\n + b)", {"a": 1.0, "b": 2.0}, 3.0),
        ("-(y*log(a) + (1-y)*log(1-a))", {"y": 1.0, "a": 0.5}, math.log(2.0)),
    ],
)
def test_accepted_expressions_evaluate_like_the_math(
    text: str, values: dict[str, float], expected: float
) -> None:
    assert value_of(text, **values) == pytest.approx(expected, rel=1e-12)


def test_a_constant_exponent_is_not_differentiated() -> None:
    # x**2 at a negative x: d/dx = 2x, with no log(x) for the exponent.
    J = evaluate(parse("x**2"), {"x": -3.0})
    J.backward()
    assert J.op == "pow" and J.inputs[0].grad == -6.0


def test_parsed_gradients_match_finite_differences() -> None:
    text = "sigmoid(w*x + b) * exp(-x/4) + log(1 + x**2) / tanh(w + 1)"
    point = {"w": 0.7, "x": -1.3, "b": 0.2}
    J = evaluate(parse(text), point)
    J.backward()
    leaves = {}
    stack = [J]
    while stack:  # collect the leaves by walking inputs (test-side helper)
        node = stack.pop()
        if node.label in point:
            leaves[node.label] = node
        stack.extend(node.inputs)

    def f(**p: float) -> float:
        return (1 / (1 + math.exp(-(p["w"] * p["x"] + p["b"])))) * math.exp(-p["x"] / 4) + (
            math.log(1 + p["x"] ** 2) / math.tanh(p["w"] + 1)
        )

    h = 1e-6
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        assert leaves[name].grad == pytest.approx((f(**up) - f(**down)) / (2 * h), rel=1e-6)


# --- what is refused ----------------------------------------------------------------------------

REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("a +", "syntax error"),
    ("a b", "syntax error"),
    ("a; b", "syntax error"),
    ("a.b", "attribute"),
    ("x.__class__", "attribute"),
    ("a[0]", "subscript"),
    ("lambda: 1", "lambda"),
    ("[x for x in y]", "comprehension"),
    ("{x: 1 for x in y}", "comprehension"),
    ("(x for x in y)", "comprehension"),
    ("__import__('os').system('echo hi')", "attribute"),
    ("__import__", "'__'"),
    ("__builtins__", "'__'"),
    ("open('f')", "calling 'open'"),
    ("print(1)", "calling 'print'"),
    ("exp(1, 2)", "one argument"),
    ("exp(x=1)", "one argument"),
    ("exp(*a)", "one argument"),
    ("exp", "exp is a function"),
    ("exp(1)(2)", "write exp(1)*(2): a bracket times a bracket needs *"),
    ("'text'", "strings"),
    ("b'x'", "strings"),
    ("f'{a}'", "strings"),
    ("True", "True/False"),
    ("None", "None"),
    ("1j", "complex"),
    ("...", "..."),
    ("a // b", "//"),
    ("a % b", "%"),
    ("a @ b", "@"),
    ("a ^ b", "^"),
    ("~a", "~"),
    ("not a", "not"),
    ("a < b", "comparison"),
    ("a and b", "and/or"),
    ("1 if a else 2", "if/else"),
    ("(a := 1)", ":="),
    ("[1, 2]", "lists"),
    ("(1, 2)", "tuples"),
    ("{1}", "sets"),
    ("{}", "dicts"),
    ("a # comment", "comments"),
    ("1e999", "too large"),
    ("9" * 400, "too large"),
    ("a\x00", "control"),
    ("\u00e9t\u00e9", "ASCII"),
    ("ａ", "ASCII"),
    ("await a", "await"),
    ("yield", "syntax error"),
    ("import os", "syntax error"),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_refused_with_a_one_line_message(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and message


def test_nothing_is_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for text in [
        "__import__('pathlib').Path('made').touch()",
        "open('made', 'w')",
        "exp(__import__('os').system('touch made'))",
        "[open('made','w') for _ in 'x']",
    ]:
        with pytest.raises(ExpressionError):
            parse(text)
    assert not (tmp_path / "made").exists()


def test_length_and_depth_limits() -> None:
    with pytest.raises(ExpressionError, match="2,001 characters long; the limit is 2,000"):
        parse("a" * 2001)
    with pytest.raises(ExpressionError, match="limit is 10"):
        parse("a" * 11, max_length=10)
    deep = "-" * (MAX_DEPTH + 5) + "a"
    with pytest.raises(ExpressionError, match="nested more than"):
        parse(deep)
    with pytest.raises(ExpressionError, match="nested"):
        parse("(" * 500 + "a" + ")" * 500, max_length=5000)
    with pytest.raises(ExpressionError, match="nested more than 3"):
        parse("exp(exp(exp(a)))", max_depth=3)
    assert parse("+".join(["a"] * 150)).variables == ("a",)
    with pytest.raises(ExpressionError, match="must be text"):
        parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("symbol", ["+", "-", "*", "/"])
def test_a_flat_chain_as_long_as_the_length_limit_allows_is_not_nesting(symbol: str) -> None:
    terms = 1000  # "a+a+...+a": 1,999 characters, just under the limit
    text = symbol.join(["a"] * terms)
    assert len(text) == 1999
    J = evaluate(parse(text), {"a": 1.5})
    J.backward()
    # The closed forms of a chain of n terms at a: n·a, (2 - n)·a, a^n, a^(2 - n).
    n, a = terms, 1.5
    expected = {
        "+": (n * a, n),
        "-": ((2 - n) * a, 2 - n),
        "*": (a**n, n * a ** (n - 1)),
        "/": (a ** (2 - n), (2 - n) * a ** (1 - n)),
    }[symbol]
    leaf = next(node for node in topological_order(J) if node.label == "a")
    assert J.data == pytest.approx(expected[0], rel=1e-9)
    assert leaf.grad == pytest.approx(expected[1], rel=1e-9)


def test_chains_of_terms_and_real_nesting_are_told_apart() -> None:
    # 201 terms, each a product: one level for the sum, one for each product.
    assert parse("+".join(["a*b"] * 201)).variables == ("a", "b")
    assert parse("+".join(["a"] * 201), max_depth=2).variables == ("a",)
    # Powers group to the right, a**(a**(a...)): that is nesting.
    with pytest.raises(ExpressionError, match="nested more than 200 levels deep"):
        parse("**".join(["a"] * 202))
    assert parse("**".join(["a"] * 200)).variables == ("a",)
    # So are parentheses to the right, and Python's parser stops them at 200.
    with pytest.raises(ExpressionError, match="nested"):
        parse("a-(" * 201 + "a" + ")" * 201)
    with pytest.raises(ExpressionError, match="the operator // is not allowed"):
        parse("a + b + c // d + e")
    assert parse("c + b*a + a/d - e").variables == ("c", "b", "a", "d", "e")  # as written


def test_missing_and_unused_variables_are_named() -> None:
    expression = parse("3*(a+b*c)")
    with pytest.raises(ExpressionError, match=r"no value for variables b, c \(give b=NUMBER"):
        evaluate(expression, {"a": 1.0})
    with pytest.raises(ExpressionError, match="variable d not used"):
        evaluate(expression, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The notes write J = 3(a + bc): Python reads 3(...) as calling 3.
        ("3(a+b*c)", "write 3*(a+b*c): a number times a bracket needs *"),
        ("3 (a + b*c)", "write 3*(a + b*c): a number times a bracket needs *"),
        ("a + 2(b)", "write 2*(b): a number times a bracket needs *"),
        ("2a", "write 2*a: a number times a variable needs *"),
        ("1 + 2.5x", "write 2.5*x: a number times a variable needs *"),
        ("1e3a", "write 1e3*a: a number times a variable needs *"),
        ("2 a", "write 2*a: a number times a variable needs *"),
        ("2exp(x)", "write 2*exp(...): a number times a function needs *"),
        ("(a)(b)", "write (a)*(b): a bracket times a bracket needs *"),
        ("(a+b)(c-d)", "write (a+b)*(c-d): a bracket times a bracket needs *"),
        ("sigmoid(z)(1-y)", "write sigmoid(z)*(1-y): a bracket times a bracket needs *"),
        ("(a+b)c", "write (a+b)*c: a bracket times a variable needs *"),
        ("(a)2", "write (a)*2: a bracket times a number needs *"),
        ("-(1-y)log(1-a)", "write (1-y)*log(...): a bracket times a function needs *"),
        ("(a\n+b)(c)", "write (a +b)*(c): a bracket times a bracket needs *"),  # one line
    ],
)
def test_a_product_without_its_star_says_where_to_put_it(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert str(info.value) == message
    # The advice is right: the expression written so is accepted.
    fixed = message.removeprefix("write ").split(":")[0]
    unstarred = fixed.replace("*", "", 1)
    if unstarred in text:
        assert parse(text.replace(unstarred, fixed, 1)).variables


@pytest.mark.parametrize(
    "text", ["0x1F", "x2", "2**a", "a(b)", "2 if a else b", "open(1)", "a b", "0b12"]
)
def test_no_star_advice_where_no_star_is_missing(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as exc:
        assert "needs *" not in str(exc)


def test_a_variable_given_in_the_wrong_case_or_spelling_is_named() -> None:
    expression = parse("3*(a+b*c)")

    def message(values: dict[str, float]) -> str:
        with pytest.raises(ExpressionError) as info:
            evaluate(expression, values)
        return str(info.value)

    assert message({"a": 5, "b": 3, "C": 2}) == (
        "no value for variable c (C=2 is given, but names are case-sensitive: write c=2)"
    )
    assert message({"a": 5, "B": 3, "C": 2.5}) == (
        "no value for variables b, c (B=3 and C=2.5 are given, but names are "
        "case-sensitive: write b=3 c=2.5)"
    )
    assert message({"a": 5, "b": 3, "d": 2}) == (
        "no value for variable c (give c=NUMBER; d is given but not used)"
    )
    assert message({"A": 1, "b": 2}) == (
        "no value for variables a, c (give c=NUMBER; A=1 is given, but names are "
        "case-sensitive: write a=1)"
    )
    with pytest.raises(ExpressionError) as info:
        evaluate(parse("alpha*b"), {"alpah": 1, "b": 2})
    assert str(info.value) == (
        "no value for variable alpha (alpah=1 is given but not used: did you mean alpha=1?)"
    )


def test_math_errors_are_the_engines_messages() -> None:
    with pytest.raises(ValueError, match="log needs a positive input"):
        evaluate(parse("log(a)"), {"a": -1.0})
    with pytest.raises(ZeroDivisionError):
        evaluate(parse("1/(a-a)"), {"a": 2.0})
    with pytest.raises(OverflowError):
        evaluate(parse("exp(a)"), {"a": 1000.0})


# --- fuzzing ------------------------------------------------------------------------------------

TOKENS = [
    "a", "b", "x1", "_", "__", "exp", "log", "sigmoid", "tanh", "relu", "open", "lambda",
    "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "**", "/", "//", "%", "@",
    "1", "2.5", "e", "1e308", "0", " ", "\n", "'", '"', "#", "=", "if", "else", "for", "in",
    "not", "and", "<", "\\", ";", "import", "j", "_x",
]  # fmt: skip


def check_parse_is_clean(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError as exc:
        assert "\n" not in str(exc)
        return
    values = dict.fromkeys(expression.variables, 0.7)
    try:
        result = evaluate(expression, values)
    except (ValueError, ArithmeticError):
        return  # the engine's own clear errors (log of a negative number, ...)
    assert isinstance(result, Value) and math.isfinite(result.data)  # type: ignore[arg-type]


@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_is_refused_cleanly(text: str) -> None:
    check_parse_is_clean(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soup_parses_or_is_refused_cleanly(text: str) -> None:
    check_parse_is_clean(text)


# An independent evaluator of the grammar, on trees generated here.

VARIABLES = ["a", "b", "w1", "x_2"]
FUNCTIONS = ["exp", "log", "sigmoid", "tanh", "relu", "softplus"]


class Rejected(Exception):
    pass


def _finite(x: Any) -> float:
    if isinstance(x, complex) or not math.isfinite(x):
        raise Rejected
    return float(x)


def _sigmoid(t: float) -> float:
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def oracle(tree: Any, env: dict[str, float]) -> float:
    kind = tree[0]
    try:
        if kind == "num":
            return float(tree[1])
        if kind == "var":
            return env[tree[1]]
        if kind == "neg":
            return -oracle(tree[1], env)
        if kind == "call":
            x = oracle(tree[2], env)
            fn = {
                "exp": math.exp, "log": math.log, "sigmoid": _sigmoid, "tanh": math.tanh,
                "relu": lambda t: t if t > 0 else 0.0,
                "softplus": lambda t: max(t, 0.0) + math.log1p(math.exp(-abs(t))),
            }[tree[1]]  # fmt: skip
            return _finite(fn(x))
        left, right = oracle(tree[2], env), oracle(tree[3], env)
        op = tree[1]
        if op == "+":
            return _finite(left + right)
        if op == "-":
            return _finite(left - right)
        if op == "*":
            return _finite(left * right)
        if op == "/":
            return _finite(left / right)
        return _finite(left**right)
    except (ArithmeticError, ValueError) as exc:
        raise Rejected from exc


def render(tree: Any, spaces: bool) -> str:
    kind, sp = tree[0], " " if spaces else ""
    if kind == "num":
        return repr(float(tree[1])) if isinstance(tree[1], float) else str(tree[1])
    if kind == "var":
        return str(tree[1])
    if kind == "neg":
        return f"(-({render(tree[1], spaces)}))"  # whole: -x**y would mean -(x**y)
    if kind == "call":
        return f"{tree[1]}({sp}{render(tree[2], spaces)}{sp})"
    return f"({render(tree[2], spaces)}{sp}{tree[1]}{sp}{render(tree[3], spaces)})"


leaves = st.one_of(
    st.tuples(st.just("num"), st.integers(0, 20)),
    st.tuples(st.just("num"), st.floats(0.0, 10.0)),
    st.tuples(st.just("var"), st.sampled_from(VARIABLES)),
)
trees = st.recursive(
    leaves,
    lambda sub: st.one_of(
        st.tuples(st.just("neg"), sub),
        st.tuples(st.just("call"), st.sampled_from(FUNCTIONS), sub),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/", "**"]), sub, sub),
    ),
    max_leaves=12,
)


def variables_in(tree: Any) -> set[str]:
    if tree[0] == "var":
        return {tree[1]}
    return set().union(*(variables_in(t) for t in tree[1:] if isinstance(t, tuple)))


@given(
    tree=trees,
    spaces=st.booleans(),
    env=st.fixed_dictionaries({v: st.floats(-3.0, 3.0) for v in VARIABLES}),
)
def test_generated_expressions_match_an_independent_evaluator(
    tree: Any, spaces: bool, env: dict[str, float]
) -> None:
    text = render(tree, spaces)
    used = variables_in(tree)
    expression = parse(text)  # the grammar's own sentences are always accepted
    assert set(expression.variables) == used
    values = {k: v for k, v in env.items() if k in used}
    try:
        expected = oracle(tree, values)
    except Rejected:
        event("the math fails: both refuse")
        with pytest.raises((ValueError, ArithmeticError)):
            evaluate(expression, values)
        return
    event("a number: both agree")
    result = evaluate(expression, values).data
    assert result == pytest.approx(expected, rel=1e-12, abs=1e-300)
