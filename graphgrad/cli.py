"""The ``graphgrad`` command: evaluate, differentiate, trace, draw and explore an expression.

Exit status: 0 on success, 2 for bad input (expression, variables, values,
options), 1 when the picture cannot be made or written.
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from graphgrad import __version__
from graphgrad.draw import (
    DIRECTIONS,
    RENDERER_ENV,
    RENDERERS,
    DrawingWarning,
    RendererError,
    render,
    to_svg,
)
from graphgrad.explore import PAGE_SUFFIXES, explore, page_path
from graphgrad.expr import (
    FUNCTIONS,
    ExpressionError,
    evaluate,
    is_variable_name,
    output_name,
    parse,
)
from graphgrad.formula import check_digits, format_number
from graphgrad.graph import DEFAULT_MAX_NODES, topological_order
from graphgrad.program import compile as compile_program
from graphgrad.trace import trace
from graphgrad.value import Value

USAGE_ERROR = 2
FAILURE = 1


# Each command's examples: its own --help shows these, graphgrad --help all of them.
COMMAND_EXAMPLES = {
    "grad": [
        'graphgrad grad "3*(a+b*c)" a=5 b=3 c=2',
        'graphgrad grad --digits 3 -- "-omega*t" omega=2 t=3   (options, then --, then\n'
        "                                                       an expression starting with -)",
    ],
    "trace": ['graphgrad trace "3*(a+b*c)" a=5 b=3 c=2'],
    "code": [
        'graphgrad code "3*(a+b*c)" a=5 b=3 c=2',
        'graphgrad code "-(y*log(sigmoid(w*x+b)) + (1-y)*log(1-sigmoid(w*x+b)))" \\\n'
        "      w=0.5 x=2 b=0.1 y=1",
    ],
    "draw": [
        'graphgrad draw "3*(a+b*c)" a=5 b=3 c=2 -o J.svg',
        'graphgrad draw "3*(a+b*c)" a=5 b=3 c=2 --direction TB > J.svg',
    ],
    "explore": [
        'graphgrad explore "3*(a+b*c)" a=5 b=3 c=2 -o J.html   (open J.html in a browser)',
        'graphgrad explore "-(y*log(sigmoid(w*x+b)) + (1-y)*log(1-sigmoid(w*x+b)))" \\\n'
        "      w=0.5 x=2 b=0.1 y=1 -o L.html",
    ],
}
_MAIN_EXAMPLES = [
    COMMAND_EXAMPLES["grad"][0],
    COMMAND_EXAMPLES["trace"][0],
    COMMAND_EXAMPLES["code"][0],
    *COMMAND_EXAMPLES["draw"],
    *COMMAND_EXAMPLES["explore"],
    COMMAND_EXAMPLES["grad"][1],
]

EXPRESSIONS = f"""\
expressions: numbers, variable names, + - * / **, unary minus, parentheses and
the functions {", ".join(FUNCTIONS)}. Nothing else is accepted
and nothing is ever run as code; a product needs its * (3*(a+b), not 3(a+b)).
The output is called J (or out, f, ... when J is a variable); dvar means
d(output)/dvar. NAME=VALUE and options may come in any order after the
expression.
"""

PICTURES = f"""\
pictures (and explorer pages): the system Graphviz `dot` is used when it is on
PATH, otherwise the embedded renderer (SVG only); choose with --renderer or
{RENDERER_ENV}.
"""


def _epilog(examples: list[str], *paragraphs: str) -> str:
    lines = "\n".join(f"  {example}" for example in examples)
    return "\n".join([f"examples:\n{lines}\n", *paragraphs])


#: What ``graphgrad --help`` shows after the commands.
EXAMPLES = _epilog(_MAIN_EXAMPLES, EXPRESSIONS, PICTURES)


class UsageError(Exception):
    """Bad input from the command line; exit status 2."""


class _Rejected(Exception):
    """argparse refused the arguments; main() words the message and exits."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    # argparse prints its own message and exits; raising instead lets main()
    # say what is missing or misplaced in this command's terms.  The command
    # parsers are made by add_parser, which uses this class too.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before argparse's own __init__, which adds -h.
        #: The option strings this parser accepts (-o, --output, --digits, ...).
        self.option_names: set[str] = set()
        #: The command parsers, by name (on the main parser).
        self.commands: dict[str, _Parser] = {}
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise _Rejected(self, message)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.option_names.update(action.option_strings)
        return action


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="graphgrad",
        description="Evaluate an expression, compute every derivative dJ/dvar, "
        "print the chain rule step by step, draw the computation graph or write a page "
        "that steps through it in a browser.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"graphgrad {__version__}")
    # Not required: a bare `graphgrad` prints the help (main() sees no command).
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        paragraphs = [EXPRESSIONS, PICTURES] if name in ("draw", "explore") else [EXPRESSIONS]
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_epilog(COMMAND_EXAMPLES[name], *paragraphs),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            usage="%(prog)s [options] EXPRESSION [NAME=VALUE ...]",
        )
        # Optional to argparse, required by _parse: an expression that starts
        # with - is taken for an unknown option, and argparse would report the
        # missing expression first, hiding the advice to put -- before it.
        sub.add_argument(
            "expression", nargs="?", metavar="EXPRESSION", help='the expression, e.g. "3*(a+b*c)"'
        )
        # Not required: an expression of numbers alone (graphgrad grad 5) needs none.
        sub.add_argument(
            "values",
            nargs="*",
            default=[],
            metavar="NAME=VALUE",
            help="a value for each variable, e.g. a=5 (anywhere after the expression)",
        )
        sub.set_defaults(command_parser=sub)  # for messages about this command's arguments
        assert isinstance(sub, _Parser)
        parser.commands[name] = sub
        return sub

    grad = command("grad", "print J and every gradient dvar = dJ/dvar")
    grad.add_argument(
        "--digits", type=int, help="significant digits (default: every digit of the float)"
    )

    tracer = command("trace", "print the forward and backward passes step by step")
    tracer.add_argument("--digits", type=int, default=4, help="significant digits (default 4)")

    coder = command(
        "code",
        "print the program of both passes, as graphgrad.compile writes it: one line per "
        "step forward, then one per gradient dvar",
    )
    coder.set_defaults(digits=None)

    drawer = command("draw", "draw the computation graph (SVG, PNG, PDF or DOT)")
    drawer.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write; the extension picks the format: .svg .png .pdf .dot "
        "(default: SVG on standard output)",
    )
    _picture_options(drawer)
    drawer.add_argument(
        "--depth",
        type=int,
        metavar="N",
        help="draw only the nodes at most N ops from the output (for large graphs)",
    )
    drawer.add_argument("--no-grad", action="store_true", help="do not show gradients")
    drawer.add_argument(
        "--no-derivatives", action="store_true", help="do not label edges with local derivatives"
    )

    explorer = command(
        "explore",
        "write a page (HTML) that steps through the forward and backward passes on the "
        "graph; it opens offline in any browser",
    )
    explorer.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the page, ending in .html or .htm "
        "(default: the page on standard output)",
    )
    _picture_options(explorer)
    return parser


def _lower(text: str) -> str:
    return text.lower()


def _upper(text: str) -> str:
    return text.upper()


def _picture_options(command: argparse.ArgumentParser) -> None:
    # Either case is accepted: --direction tb is --direction TB.
    command.add_argument(
        "--renderer",
        type=_lower,
        choices=RENDERERS,
        help=f"Graphviz to use: the system `dot` or the embedded one (default: "
        f"${RENDERER_ENV} or auto)",
    )
    command.add_argument("--digits", type=int, default=4, help="significant digits (default 4)")
    command.add_argument(
        "--direction",
        type=_upper,
        choices=DIRECTIONS,
        default="LR",
        help="layout direction (default LR; either case)",
    )
    command.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"refuse graphs of more than N nodes (default {DEFAULT_MAX_NODES:,})",
    )


def parse_values(assignments: Sequence[str]) -> dict[str, float]:
    """``["a=5", "b=-1.5"]`` → ``{"a": 5.0, "b": -1.5}``; UsageError names the culprit."""
    values: dict[str, float] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            # An option here came after --, which makes every argument positional.
            looks_like_option = item.startswith("--") or (item[:1] == "-" and item[1:2].isalpha())
            hint = " (options go before --)" if looks_like_option else ""
            raise UsageError(f"expected NAME=VALUE, got {item!r}{hint}")
        if not is_variable_name(name):
            raise UsageError(f"{name!r} is not a valid variable name (in {item!r})")
        if name in values:
            raise UsageError(f"variable {name} is given more than once")
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"the value of {name} is not a number: {text!r}") from None
        if not math.isfinite(number):
            raise UsageError(f"the value of {name} must be a finite number, got {text!r}")
        values[name] = number
    return values


def _plain(x: float, digits: int | None) -> str:
    if digits is not None:
        return format_number(x, digits)
    if x == 0.0:
        return "0"
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _build(args: argparse.Namespace) -> tuple[Value, tuple[str, ...]]:
    if args.digits is not None:
        try:
            check_digits(args.digits)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    text = args.expression
    name, sep, _ = text.partition("=")
    if sep and is_variable_name(name.strip()) and not text.startswith(name + "=="):
        raise UsageError(
            f"expected the expression first, got {text!r}, a NAME=VALUE "
            f'(e.g. graphgrad {args.command} "3*(a+b*c)" a=5 b=3 c=2)'
        )
    expression = parse(text)
    # The output gets a name no input has, so that J and dJ are never two things.
    J = evaluate(
        expression, parse_values(args.values), output_label=output_name(expression.variables)
    )
    J.backward()
    return J, expression.variables


def _run(args: argparse.Namespace) -> int:
    J, names = _build(args)
    if args.command == "grad":
        leaves = {
            node.label: node
            for node in topological_order(J)
            if node.operation is None and node.label
        }
        # J.label: the chosen output name, or the variable when the expression is one.
        lines = [f"{J.label} = {_plain(J.data, args.digits)}"]  # type: ignore[arg-type]
        lines += [f"d{name} = {_plain(leaves[name].grad, args.digits)}" for name in names]
        print("\n".join(lines))
    elif args.command == "trace":
        print(trace(J, digits=args.digits))
    elif args.command == "code":
        print(compile_program(J).source, end="")
    elif args.command == "explore":
        target = None if args.output is None else page_path(args.output, "the output file")
        page = explore(
            J,
            direction=args.direction,
            digits=args.digits,
            renderer=args.renderer,
            max_nodes=args.max_nodes,
        )
        if target is None:
            sys.stdout.write(page.html)
        else:
            print(f"wrote {page.save(target)}")
    else:
        options = {
            "show_grad": not args.no_grad,
            "show_derivatives": not args.no_derivatives,
            "direction": args.direction,
            "digits": args.digits,
            "depth": args.depth,
            "max_nodes": args.max_nodes,
        }
        if args.output is None:
            sys.stdout.write(to_svg(J, renderer=args.renderer, **options))
        else:
            path = render(J, args.output, renderer=args.renderer, **options)
            print(f"wrote {path}")
    return 0


_COMMANDS = ("grad", "trace", "code", "draw", "explore")
# Output file endings, by command: -oFILE ending so is the option, not an expression.
_OUTPUT_SUFFIXES = {"draw": (".svg", ".png", ".pdf", ".dot", ".gv"), "explore": PAGE_SUFFIXES}


def _protect_expression(argv: list[str]) -> list[str]:
    """Keep an expression such as ``-(y*log(a))`` from being read as an option.

    argparse takes any argument starting with '-' for an option, but treats one
    containing a space as a positional argument, and the parser ignores
    surrounding spaces.  Real options at that place are kept: -h, anything
    starting with --, and the -o of draw and explore (alone or as -oFILE.svg).
    """
    if len(argv) >= 2 and argv[0] in _COMMANDS:
        first = argv[1]
        option = first == "-h" or first.startswith("--") or not first.startswith("-")
        suffixes = _OUTPUT_SUFFIXES.get(argv[0])
        if suffixes is not None and first.startswith("-o"):
            option = option or first == "-o" or first.lower().endswith(suffixes)
        if not option and first != "-":
            return [argv[0], " " + first, *argv[2:]]
    return argv


def _not_here(command: str, item: str, commands: dict[str, set[str]]) -> str | None:
    """The message for an option of another command given to ``command``, or None."""
    option = item.partition("=")[0] if item.startswith("--") else item
    others = [name for name, options in commands.items() if option in options]
    if not others or command in others:
        return None
    if option in ("-o", "--output"):
        return (
            f"{option} is not an option of {command}, which prints to standard output: "
            f"to save that in a file, redirect it (graphgrad {command} ... > FILE); "
            f"{' and '.join(others)} write files with -o"
        )
    verb = "has" if len(others) == 1 else "have"
    return f"{option} is not an option of {command} ({' and '.join(others)} {verb} it)"


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The arguments, with NAME=VALUE accepted anywhere after the command."""
    # argparse gives the NAME=VALUE list one run of arguments; those after an
    # option (x=1 --digits 3 y=2) come back unrecognized and join the list here.
    args, extras = parser.parse_known_args(argv)
    if args.command is None:
        raise _Rejected(parser, f"the command is missing: one of {', '.join(_COMMANDS)}")
    assert isinstance(parser, _Parser)
    commands = {name: command.option_names for name, command in parser.commands.items()}
    after_dashes = False
    for item in extras:
        if item == "--" and not after_dashes:
            after_dashes = True
        elif not after_dashes and (message := _not_here(args.command, item, commands)):
            raise _Rejected(args.command_parser, message)
        elif item.startswith("-") and not after_dashes and item != "-":
            # Quoted for the shell, and never echoed raw if it holds control characters.
            shown = shlex.quote(item) if item.isprintable() else "EXPRESSION"
            raise _Rejected(
                args.command_parser,
                f"unrecognized option {item!r} (if it is the expression, put -- before it: "
                f"graphgrad {args.command} [options] -- {shown} NAME=VALUE ...)",
            )
        else:
            args.values.append(item)
    if args.expression is None:
        command = args.command
        raise _Rejected(
            args.command_parser,
            f'the expression is missing, e.g. graphgrad {command} "3*(a+b*c)" a=5 b=3 c=2',
        )
    return args


def _max_nodes_option(match: re.Match[str]) -> str:
    return f"--max-nodes {match[1].replace(',', '')}"


def _for_the_command_line(message: str, command: str) -> str:
    """A message of the Python API, with its keyword arguments said as ``command``'s
    options (the explorer shows the whole graph: a part is drawn with draw --depth)."""
    for renderer in RENDERERS:
        message = message.replace(f"renderer={renderer!r}", f"--renderer {renderer}")
    message = re.sub(r"max_nodes=([\d,]+)", _max_nodes_option, message)
    depth = "--depth N" if command == "draw" else "graphgrad draw --depth N"
    message = message.replace("max_nodes=", "--max-nodes").replace("depth=N", depth)
    return message.replace("show_derivatives=False", "--no-derivatives")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: the process's arguments); return the exit status.

    Without arguments, prints the help (and returns 0).
    """
    parser = _build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        parser.print_help()
        return 0
    try:
        args = _parse(parser, _protect_expression(arguments))
    except _Rejected as exc:
        # argparse's own error: the usage of the parser at fault, the message, exit 2.
        argparse.ArgumentParser.error(exc.parser, exc.message)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DrawingWarning)
            status = _run(args)
        for warning in caught:  # a drawing's advice, as the command's own one line
            if issubclass(warning.category, DrawingWarning):
                note = _for_the_command_line(str(warning.message), args.command)
                note = note.strip().splitlines()[0]
                print(f"graphgrad: warning: {note}", file=sys.stderr)
            else:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        return status
    except (UsageError, ExpressionError) as exc:
        return _fail(str(exc), USAGE_ERROR)
    except (ValueError, ArithmeticError) as exc:
        # The engine's messages name the op and the nodes; they are one line.
        return _fail(_for_the_command_line(str(exc), args.command), USAGE_ERROR)
    except RendererError as exc:
        return _fail(_for_the_command_line(str(exc), args.command), FAILURE)
    except OSError as exc:
        target = exc.filename if exc.filename is not None else "the output"
        return _fail(f"cannot write {target}: {exc.strerror or exc}", FAILURE)


def _fail(message: str, status: int) -> int:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"graphgrad: error: {first_line}", file=sys.stderr)
    return status
