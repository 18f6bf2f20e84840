"""Random expression DAGs: backward() against central finite differences.

Hypothesis writes small programs (tests/expression_programs.py) whose steps
share sub-expressions; a reference interpreter written with Python's math
module, not the op table, evaluates them on floats and gives the oracle.
"""

from __future__ import annotations

from expression_programs import UNARY, Limits, OutOfDomain, Program, build, programs, reference
from hypothesis import assume, given, settings

from graphgrad import Value

LIMITS = Limits(log_above=1e-3, divisor_above=1e-2, exp_below=20, magnitude=1e6)
FIRST_ORDER_OPS = sorted(UNARY)


@settings(max_examples=300)
@given(programs(FIRST_ORDER_OPS, max_inputs=4, max_steps=12))
def test_random_dag_gradients_match_finite_differences(program: Program) -> None:
    inputs, steps = program
    try:
        expected, kinks = reference(inputs, steps, LIMITS)
    except OutOfDomain:
        assume(False)
        return
    assume(all(abs(k) > 1e-3 for k in kinks))  # finite differences are wrong at a kink

    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    out = build(steps)(*leaves)
    assert abs(out.data - expected) <= 1e-9 * max(1.0, abs(expected))
    out.backward()

    h = 1e-6
    for i, leaf in enumerate(leaves):
        try:
            plus = reference([x + h * (j == i) for j, x in enumerate(inputs)], steps, LIMITS)[0]
            minus = reference([x - h * (j == i) for j, x in enumerate(inputs)], steps, LIMITS)[0]
        except OutOfDomain:
            assume(False)
            return
        numeric = (plus - minus) / (2 * h)
        tolerance = 1e-4 * max(1.0, abs(numeric))
        assert abs(leaf.grad - numeric) <= tolerance, (i, leaf.grad, numeric, steps)
