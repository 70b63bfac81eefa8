"""The ``symbp`` command line: a thin Typer layer over the library.

Every command takes the same network options (``--layers``, ``--activation``,
``--activations``, ``--cost``, ``--spec``), calls the library and prints. SymPy,
NumPy and the renderers are imported inside the commands, so ``symbp --help``
answers without loading them. Bad input of any kind ends in one line on stderr,
``symbp: error: ...``, and exit status 2.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, NoReturn, Optional, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .engines import DEFAULT_REFERENCE_ENGINE, REFERENCE_ENGINES
from .errors import SymbpError
from .printers import FORMATS, TABLE_FORMATS
from .io import (
    check_target,
    clean_up_on_signals,
    is_stdout,
    output_format,
    refuse_overwriting_inputs,
    stdout_failed,
    write_output,
)

if TYPE_CHECKING:  # pragma: no cover
    from .spec import Network

# Typer 0.12 to 0.2x raise click's exceptions, later ones those of a vendored copy of click:
# find the base class through BadParameter, which both export.
_ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

USAGE_EXIT = 2
"""Exit status for bad input of any kind (as click uses for usage errors)."""

CHECK_FAILED_EXIT = 1
"""Exit status of ``symbp check`` when the methods disagree."""

PROGRESS_DELAY = 1.0
"""Seconds of work before a progress bar appears (on a terminal only)."""


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2, whatever the message held."""
    typer.echo(f"symbp: error: {' '.join(str(message).split())}", err=True)
    sys.exit(USAGE_EXIT)


class _OneLineErrors(TyperGroup):
    """The top-level group: usage errors and ``SymbpError`` become one line, never a box or a traceback.

    Handled here (not only in ``main``) so that ``CliRunner`` sees what the console script does.
    """

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args=args, prog_name=prog_name or "symbp", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except SymbpError as error:
            _fail(str(error))
        except _ClickException as error:
            _fail(_usage_message(error, sys.argv[1:] if args is None else list(args)))
        except typer.Abort:
            typer.echo("symbp: aborted", err=True)
            sys.exit(1)
        except _Stopped as stop:
            typer.echo(f"symbp: stopped by {stop.signal.name}", err=True)
            sys.exit(128 + stop.signal)
        except OSError as error:
            _fail(_os_error_message(error))
        except RecursionError:
            _fail(f"{_command(args)} needs more nested calls than Python allows (RecursionError); "
                  "the network or input is too deep: use fewer layers")
        except MemoryError:
            _fail(f"{_command(args)} ran out of memory (MemoryError); use a smaller network or fewer entries")
        # Without standalone mode, click returns an Exit's code instead of exiting.
        code = result if isinstance(result, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)

    def invoke(self, ctx: Any) -> Any:
        # Typer turns KeyboardInterrupt into a bare exit status 130: say which signal stopped the command instead.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM/SIGHUP (symbp.io.Interrupted): cleaned up on the way
            raise _Stopped(getattr(stop, "signal_number", signal.SIGINT)) from None


class _Stopped(Exception):
    """A command stopped by a signal, after its ``with`` blocks and ``finally`` clauses ran."""

    def __init__(self, number: int):
        super().__init__(number)
        self.signal = signal.Signals(number)


def _command(args: Any) -> str:
    """``symbp derive``: the command an error happened in, for messages that cannot name more."""
    words = [a for a in (sys.argv[1:] if args is None else args) if not str(a).startswith("-")]
    return f"symbp {words[0]}" if words else "symbp"


def _os_error_message(error: OSError) -> str:
    """What failed, from an ``OSError`` that reached the top (library code names its files itself)."""
    if error.filename is None and isinstance(error, BrokenPipeError):
        return str(stdout_failed(error))
    where = f" {str(error.filename)!r}" if error.filename is not None else ""
    return f"cannot use{where}: {error.strerror or error}"


_TYPE_MESSAGES = {
    "Input should be a valid integer": "is not a whole number",
    "Input should be a valid number": "is not a number",
}
"""Typer's messages for an option of the wrong type, which do not name the value given."""


def _given_value(args: list[str], opts: list[str]) -> str | None:
    """The text given to an option (``--points abc``, ``--points=abc``, ``-nabc``) in ``args``, if found."""
    for i, token in enumerate(args):
        for opt in opts:
            if token == opt and i + 1 < len(args):
                return str(args[i + 1])
            if token.startswith(opt + "=") and opt.startswith("--"):
                return token[len(opt) + 1:]
            if len(opt) == 2 and token.startswith(opt) and not token.startswith("--") and len(token) > 2:
                return token[2:]
    return None


def _usage_message(error: Exception, args: list[str] | None = None) -> str:
    message = error.format_message()  # type: ignore[attr-defined]
    param = getattr(error, "param", None)
    for typer_says, we_say in _TYPE_MESSAGES.items():
        value = _given_value(args or [], list(getattr(param, "opts", []))) if typer_says in message else None
        if value is not None:
            message = message[:message.index(typer_says)] + f"{value!r} {we_say}"
    # click's own words for the same (older Typer): "'abc' is not a valid integer."
    message = message.replace("is not a valid integer.", "is not a whole number").replace(
        "is not a valid float.", "is not a number")
    # Typer's enum choices: "Invalid value for '--format' / '-f': Value error, 'html' is not one of 'text', ...".
    choice = re.fullmatch(r"Invalid value for '([^']+)'.*?: (?:Value error, )?('.*') is not one of (.*?)\.?", message)
    if choice:
        option, value, accepted = choice.groups()
        message = f"{option} {value} is not accepted; accepted: {accepted.replace(chr(39), '')}"
    # click reads an empty path as the current folder and says "file '' is a directory"
    message = re.sub(r"(\w+ )?'' is a directory\.$", "an empty path; give a file name", message)
    ctx = getattr(error, "ctx", None)
    if ctx is not None and message.startswith("No such command"):
        message += f" Commands: {', '.join(ctx.command.list_commands(ctx))}."
    elif ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


class _Command(TyperCommand):
    """A command whose --help names the registries' choices (``ACTIVATIONS``, ``COSTS``) when it is shown.

    Filled in only for --help, so that ``symbp --help`` and the commands' parsing need not load SymPy.
    """

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from .activations import ACTIVATIONS
        from .costs import COSTS

        names = {"{ACTIVATIONS}": ", ".join(ACTIVATIONS), "{COSTS}": ", ".join(COSTS)}
        for param in self.params:
            for token, value in names.items():
                if getattr(param, "help", None) and token in param.help:
                    param.help = param.help.replace(token, value)
        super().format_help(ctx, formatter)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # click keeps the last of two spellings of one option (train --batch 2 --batch-size 3): refuse the pair
        end = args.index("--") if "--" in args else len(args)
        words = [arg.split("=", 1)[0] for arg in args[:end]]
        for param in self.params:
            given = list(dict.fromkeys(word for word in words if word in getattr(param, "opts", ())))
            if len(given) > 1 and not getattr(param, "multiple", False):
                raise typer.BadParameter(f"{given[0]} and {given[1]} are one option given twice; give one of them",
                                         ctx=ctx, param=param)
        return super().parse_args(ctx, args)


class _App(typer.Typer):
    """Every command of the app is a ``_Command``."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = _App(
    cls=_OneLineErrors,
    name="symbp",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)


# Choices ---------------------------------------------------------------------------------------------


class Method(str, Enum):
    naive = "naive"
    backprop = "backprop"
    reference = "reference"
    all = "all"


class GradMethod(str, Enum):
    naive = "naive"
    backprop = "backprop"
    reference = "reference"


# The printers' registry: a new format is a printer module and a line in symbp.printers.FORMATS.
Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]
DataFormat = Enum("DataFormat", {name: name for name in TABLE_FORMATS}, type=str)  # type: ignore[misc]


ReferenceEngine = Enum("ReferenceEngine", {name: name for name in REFERENCE_ENGINES}, type=str)  # type: ignore[misc]

ReferenceEngineOption = Annotated[ReferenceEngine, typer.Option(
    "--reference-engine", metavar="ENGINE",
    help=f"Who differentiates the reference: {' or '.join(REFERENCE_ENGINES)} (SymEngine is hundreds of times "
         "faster; SymPy is used anyway for a --define formula with max, min or abs).")]


class Dtype(str, Enum):
    float64 = "float64"
    float32 = "float32"


class PictureFormat(str, Enum):
    dot = "dot"
    svg = "svg"
    png = "png"
    pdf = "pdf"


# Options shared by every command ------------------------------------------------------------------------

# Without any of these, a command works on the lecture's 3,2,2,1 network with abstract sigma and C.
LayersOption = Annotated[Optional[str], typer.Option(
    "--layers", metavar="SIZES",
    help="Layer sizes D(0),...,D(L) separated by commas, e.g. 3,2,2,1.")]
ActivationOption = Annotated[Optional[str], typer.Option(
    "--activation", metavar="NAME",
    help="One non-linearity for every layer: {ACTIVATIONS}. softmax is for the output layer only (give --activations).")]
ActivationsOption = Annotated[Optional[str], typer.Option(
    "--activations", metavar="NAMES",
    help="One non-linearity per layer, separated by commas, e.g. tanh,tanh,sigmoid.")]
DefineOption = Annotated[Optional[list[str]], typer.Option(
    "--define", metavar="NAME=FORMULA", show_default=False,
    help="A non-linearity as a formula in x, then usable as NAME in --activation(s), e.g. "
         "--define swish='x/(1+exp(-x))'. Formulas have numbers, x, + - * / ^, parentheses and exp, log, sqrt, "
         "tanh, sigmoid, erf, abs, max, min. Repeat for several.")]
CostOption = Annotated[Optional[str], typer.Option(
    "--cost", metavar="NAME",
    help="The cost: {COSTS}. cross_entropy (-sum_k t_k log a_k) follows a softmax or abstract output.")]
def _whole(text: str) -> int:
    """A whole number, also written as 1e3 or 2.0; its range is the network's to check."""
    number = _decimal(text, "2 or 100")
    if not number.is_integer():
        raise typer.BadParameter(f"{text!r} is not a whole number; give one such as 2 or 100")
    return int(number)


BatchOption = Annotated[Optional[int], typer.Option(
    "--batch", metavar="N", show_default=False, parser=_whole,
    help="A batch of N examples: C = (1/N) sum_n C(a^(L),(n), t^(n)); each example has its own x, z, a, delta, t "
         "(point files: x and t as N rows). Default 1.")]
def _decimal(text: str, example: str = "0.01 or 1e-4") -> float:
    """A number as written in decimal; float() would also take 1_0 (as 10) while 0x10 is refused. A literal float64
    cannot hold (1e309, 1e-400) is refused as typed rather than read as inf or 0."""
    try:
        if "_" in text:
            raise ValueError
        number = float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number; write it in decimal digits, e.g. {example}") from None
    mantissa = text.lower().partition("e")[0]
    if math.isinf(number) and "inf" not in mantissa:
        raise typer.BadParameter(f"{text!r} is too large for float64 (at most {sys.float_info.max:.3g}); "
                                 f"give a number such as {example}")
    if number == 0 and any(digit in mantissa for digit in "123456789"):
        raise typer.BadParameter(f"{text!r} is below float64's smallest number (5e-324) and would be 0; "
                                 f"give 0 or a number such as {example}")
    return number


L2Option = Annotated[Optional[float], typer.Option(
    "--l2", metavar="LAMBDA", show_default=False, parser=_decimal,
    help="Weight decay: C gains (LAMBDA/2) sum_m sum_ij (W^(m)_ij)^2, so dC/dW^(m)_ij gains LAMBDA W^(m)_ij. "
         "Biases are not decayed. Default 0.")]
SpecOption = Annotated[Optional[Path], typer.Option(
    "--spec", metavar="FILE", dir_okay=False,
    help="TOML or JSON file with keys layers, activations, cost, define, batch, l2; options given here override it.")]
OutOption = Annotated[Optional[Path], typer.Option(
    "--out", "-o", metavar="FILE", dir_okay=False,
    help="Write to FILE instead of standard output ('-': standard output). Only a new path or a regular file "
         "is written (a link: the regular file it points to); a folder, device, FIFO or socket is refused.")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Let --out replace an existing file (it keeps its mode; a new file gets the umask's).")]
FormatOption = Annotated[Optional[Format], typer.Option(
    "--format", "-f", show_default=False,
    help=f"{', '.join(FORMATS)}. Default: from --out's suffix (.txt, .tex, .md, .json), else text.")]
DataFormatOption = Annotated[Optional[DataFormat], typer.Option(
    "--format", "-f", show_default=False,
    help=f"{' or '.join(TABLE_FORMATS)}. Default: from --out's suffix (.txt, .json), else text.")]


def _positive(value: int | None) -> int | None:
    # A callback rather than min=1: the message then names the bad value on every Typer version.
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value} is not allowed; give a whole number of 1 or more")
    return value


MaxSizeOption = Annotated[Optional[int], typer.Option(
    "--max-size", callback=_positive, metavar="N", show_default=False,
    help="Refuse networks with more than N weights and biases before any work (default 20000).")]


def _not_negative(value: float) -> float:
    if not value >= 0 or value == float("inf"):  # also NaN, which compares false
        raise typer.BadParameter(f"{value:g} is not allowed; give a finite number of 0 or more")
    return value


def _up_to(limit: int) -> Callable[[int], int]:
    """A callback accepting whole numbers from 1 to ``limit``: work symbp would do for each is bounded."""

    def check(value: int) -> int:
        if not 1 <= value <= limit:
            raise typer.BadParameter(f"{value} is not allowed; give a whole number from 1 to {limit:,}")
        return value

    return check


MAX_POINTS = 10_000
"""Random points a comparison may ask for: each costs an evaluation of every entry."""

MAX_BATCH = 100_000
"""Samples per random batch a comparison may ask for: symbp makes them before calling any code."""

MAX_EPOCHS = 1_000_000
"""A training run longer than this is a typo, not a lesson (0.05 ms an epoch on XOR: a minute already)."""

_points, _batch, _epochs = _up_to(MAX_POINTS), _up_to(MAX_BATCH), _up_to(MAX_EPOCHS)


def _seed(value: int) -> int:
    # NumPy's generators take seeds of 0 or more; a negative one would end in its traceback.
    if value < 0:
        raise typer.BadParameter(f"{value} is negative; give a seed of 0 or more")
    return value


def _network(spec: Path | None, layers: str | None, activation: str | None, activations: str | None,
             cost: str | None, max_size: int | None = None, *, guarded: bool = True,
             define: list[str] | None = None, batch: int | None = None, l2: float | None = None,
             batched: bool = False, max_batch: int | None = None) -> Network:
    """The network of the options; with ``guarded``, refused at once when larger than ``--max-size``
    or with a batch over ``max_batch`` (by default the most symbolic work takes on).

    Commands that take ``--batch`` and ``--l2`` say ``batched``; the others refuse a spec file's batch or decay.
    """
    from .spec import DEFAULT_MAX_PARAMETERS, MAX_SYMBOLIC_BATCH, Network, check_size
    from .specfile import network_arguments

    arguments = network_arguments(spec, layers=layers, activation=activation, activations=activations, cost=cost,
                                  define=define, batch=batch, l2=l2)
    network = Network(**arguments)
    if not batched and (network.batch > 1 or network.l2):
        raise SymbpError(
            f"this command works on one example without weight decay, but the spec gives batch {network.batch} and "
            f"l2 {network.l2:g}; accepted there: batch = 1, l2 = 0 (derive, check, grad, algorithm, cost, render "
            "and codegen take a batch and decay)"
        )
    if guarded:
        check_size(network, DEFAULT_MAX_PARAMETERS if max_size is None else max_size,
                   max_batch=MAX_SYMBOLIC_BATCH if max_batch is None else max_batch)
    return network


def _needs_numbers(network: Network, command: str) -> None:
    from .spec import require_numbers

    require_numbers(network, command)


# Output ----------------------------------------------------------------------------------------------


def _check_out(out: Path | None, force: bool, option: str = "--out") -> None:
    """Refuse an --out target before any work is done, so bad input writes nothing (policy: ``symbp.io``)."""
    if not is_stdout(out):
        check_target(out, force, option)  # type: ignore[arg-type]  # is_stdout(None) is True


FormatEnum = TypeVar("FormatEnum", Format, DataFormat, PictureFormat)


def _format(out: Path | None, chosen: FormatEnum | None, default: FormatEnum) -> FormatEnum:
    """--format, else the format --out's suffix names; a suffix contradicting --format is refused."""
    choices = type(default)
    accepted = [c.value for c in choices]
    return choices(output_format(out, chosen.value if chosen else None, accepted, default.value))


def _emit(data: str | bytes, out: Path | None, force: bool, option: str = "--out") -> None:
    """``data`` to standard output or to the file ``option`` names (then one line on stderr says so)."""
    if isinstance(data, str) and is_stdout(out) and not data.endswith("\n"):
        data += "\n"
    if write_output(out, data, force, option):
        typer.echo(f"wrote {out}", err=True)


def _width(out: Path | None, format: str = "text") -> int | None:
    """Text width: the terminal's when printing to one, else a fixed width so files and pipes are stable;
    None (the printer's own page width) for the other formats."""
    from .printers.text import DEFAULT_WIDTH

    if format != "text":
        return None
    if is_stdout(out) and sys.stdout is not None and sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def _dumps(data: object) -> str:
    """Indented JSON with each innermost list of numbers on one line (matrices stay readable)."""
    from .printers.json import dumps

    return dumps(data)


class _Progress:
    """A progress callback ``(done, total)``: a bar on stderr once work takes over a second, only on a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.start = time.monotonic()
        self.shown = False
        self.enabled = sys.stderr is not None and sys.stderr.isatty()  # None: started with stderr closed

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (not self.shown and time.monotonic() - self.start < PROGRESS_DELAY):
            return
        self.shown = True
        filled = int(30 * done / max(total, 1))
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Commands ---------------------------------------------------------------------------------------------


def _version(value: bool | None) -> None:
    if value:
        typer.echo(f"symbp {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    # None, not False, when absent: with a False default Typer 0.12 and click 8.3+ handed the callback
    # the string "False", so --version fired on every call.
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """See backprop: every gradient of a small network derived three ways, proven equal.

    symbp derives dC/dW and dC/db of a fully connected network by the naive chain
    expansion over paths, by the backprop recursion and by sympy.diff, in the
    notation of the lecture (W⁽²⁾₁₂, δ⁽²⁾₁, σ⁽²⁾′(z⁽²⁾₁)), and checks that they agree.

    \b
    Start with:
      symbp derive                      the lecture's two exercises, naive and backprop
      symbp derive W1 --layers 4,3,1 --activation tanh --cost squared_error
      symbp check --activation sigmoid --cost squared_error
      symbp COMMAND --help              options and examples of one command
    """
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


MaxPathsOption = Annotated[Optional[int], typer.Option(
    "--max-paths", callback=_positive, metavar="N", show_default=False,
    help="Budget of the naive expansion: refuse when it has more paths than N (default 10000).")]


def _budget(max_paths: int | None) -> int:
    from .derive.naive import DEFAULT_MAX_PATHS

    return DEFAULT_MAX_PATHS if max_paths is None else max_paths


@app.command()
def derive(
    entries: Annotated[Optional[list[str]], typer.Argument(
        metavar="ENTRY", show_default=False,
        help="W2_1_2, b1_2, z2_1, a1_2; a whole W2 or b1; or all. Default: the lecture's W2_1_2 and W1_2_3.")] = None,
    method: Annotated[Optional[list[Method]], typer.Option(
        "--method", "-m", metavar="METHOD", show_default=False,
        help="naive, backprop, reference (diff of the substituted cost, see --reference-engine) or all; repeat for "
             "several. Default: naive and backprop.")] = None,
    format: FormatOption = None,
    max_paths: MaxPathsOption = None,
    reference_engine: ReferenceEngineOption = ReferenceEngine(DEFAULT_REFERENCE_ENGINE),
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Derive gradients three ways: naive paths, backprop, diff of the substituted cost (the reference).

    With no arguments: the lecture's two exercises, dC/dW⁽²⁾₁₂ and dC/dW⁽¹⁾₂₃ on
    its 3,2,2,1 network, by the naive expansion and by backprop.

    \b
    Examples:
      symbp derive
      symbp derive W1_2_3 --method all
      symbp derive W2 b2 --layers 4,3,2 --activation tanh --cost squared_error
      symbp derive all --method backprop --format json
      symbp derive W1_1_1 --layers 2,8,8,8,1 --max-paths 1000 --format latex
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--spec": spec})
    format = _format(out, format, Format.text)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True)
    from .derive import derivations
    from .printers import print_derivations

    requested = [m.value for m in method] if method else ["naive", "backprop"]
    with _Progress("derive") as progress:
        items = derivations(network, entries or None, requested, max_paths=_budget(max_paths), progress=progress,
                            reference_engine=reference_engine.value)
    _emit(print_derivations(network, items, format.value, _width(out, format.value)), out, force)


@app.command()
def check(
    points: Annotated[int, typer.Option("--points", "-n", callback=_points, help="Random points to compare at.")] = 5,
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="Seed of the random points.")] = 0,
    tol: Annotated[float, typer.Option("--tol", callback=_not_negative,
                                       help="Largest relative error that counts as agreement.")] = 1e-8,
    entries: Annotated[Optional[list[str]], typer.Option(
        "--entries", "-e", metavar="ENTRY", show_default=False,
        help="Check only these entries (W2_1_2, W2, b1, all; repeat or separate by commas). Default: all.")] = None,
    format: DataFormatOption = None,
    max_work: Annotated[Optional[int], typer.Option(
        "--max-work", callback=_positive, metavar="N", show_default=False,
        help="Refuse a check of more than N entries x points x parameters (default 10000000).")] = None,
    max_paths: MaxPathsOption = None,
    reference_engine: ReferenceEngineOption = ReferenceEngine(DEFAULT_REFERENCE_ENGINE),
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Prove the three derivations equal and test them numerically.

    For every entry: naive, backprop and reference against finite differences
    (Richardson-extrapolated) at --points random points, and naive = backprop,
    reference = backprop symbolically. Each comparison is proved (the difference
    reduces to 0), verified numerically (within --tol or the finite differences' own
    error), disagree (always with a counterexample: the point and both values), or
    skipped (with the reason). With an abstract σ or C, what no proof settles is
    compared with random functions standing in for the abstract parts. Exit status 0
    when nothing disagrees, 1 when something does.

    \b
    Examples:
      symbp check
      symbp check --activation sigmoid --cost squared_error --points 20
      symbp check --layers 2,3,1 --activations tanh,identity --cost squared_error --format json
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--spec": spec})
    format = _format(out, format, DataFormat.text)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True)
    from .checking import check as run_check

    # Groups (W2, all) name several entries, as --help says: expand them here, check takes entries.
    chosen = network.select([name for item in entries for name in item.split(",")]) if entries else None
    progress = _Progress("checking")
    try:
        from .checking import DEFAULT_MAX_WORK

        report = run_check(network, points=points, seed=seed, tol=tol, entries=chosen, progress=progress,
                           max_paths=_budget(max_paths), max_work=max_work or DEFAULT_MAX_WORK,
                           reference_engine=reference_engine.value)
    finally:
        progress.close()
    from .docmodel import CheckTable
    from .printers import print_document

    _emit(print_document(CheckTable(report), format.value, _width(out, format.value)), out, force)
    if not report.passed:
        from .printers.text import check_failure_line

        if not is_stdout(out) or not sys.stdout.isatty():  # on a terminal the report already ends with it
            typer.echo(f"symbp: check failed: {check_failure_line(report)}", err=True)
        raise typer.Exit(CHECK_FAILED_EXIT)


@app.command()
def grad(
    point: Annotated[Path, typer.Option(
        "--point", "-p", metavar="FILE", dir_okay=False, show_default=False,
        help="JSON file with x, t, W1..WL (D(m) rows of D(m-1) numbers) and b1..bL.")],
    method: Annotated[GradMethod, typer.Option("--method", "-m", help="How the gradient is derived.")] = GradMethod.backprop,
    format: DataFormatOption = None,
    max_paths: MaxPathsOption = None,
    reference_engine: ReferenceEngineOption = ReferenceEngine(DEFAULT_REFERENCE_ENGINE),
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Gradient values at one point given in a JSON file.

    The cost C and every dC/dW and dC/db, with the forward values and the deltas.

    The point file is JSON: "x" (D(0) numbers), "t" (D(L) numbers, or one number
    when D(L) = 1), "W1" ... "WL" (lists of rows: W⁽ᵐ⁾ᵢⱼ in row i, column j) and
    "b1" ... "bL". JSON output: {"C": ..., "grad": {"W1": [[...]], "b1": [...], ...},
    "z": ..., "a": ..., "delta": ...} in the same shapes.

    \b
    Example (network 2,2,1):
      echo '{"x": [1, 2], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0],
             "W2": [[0.5, 0.6]], "b2": [0.1]}' > point.json
      symbp grad --point point.json --layers 2,2,1 --activation sigmoid --cost squared_error
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--point": point, "--spec": spec})
    format = _format(out, format, DataFormat.text)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True)
    _needs_numbers(network, "grad")
    from .numeric import gradient_at

    values = _point_values(network, point)
    with _Progress(f"grad --method {method.value}") as progress:
        result = _finite(gradient_at, network, values, method.value, max_paths=_budget(max_paths),
                         reference_engine=reference_engine.value, progress=progress)
    from .docmodel import GradientTable
    from .printers import print_document

    _emit(print_document(GradientTable(result, network), format.value), out, force)


def _finite(gradient_at: Callable[..., Any], network: Network, *args: Any, **kwargs: Any) -> Any:
    """gradient_at's result, refused when a value at the point is NaN or infinite (JSON has neither)."""
    import numpy as np

    from .numeric import require_finite

    with np.errstate(all="ignore"):  # the one-line refusal replaces NumPy's warnings
        return require_finite(network, gradient_at(network, *args, **kwargs))


def _point_values(network: Network, path: Path) -> dict[str, Any]:
    """A point file's values for ``network``: shapes checked, and targets the cost can take (as train checks them)."""
    from .costs import require_targets
    from .numeric import point_from_mapping
    from .specfile import read_point

    values = point_from_mapping(network, read_point(path))
    require_targets(network.cost, values["t"], f"point file {str(path)!r}")
    return values


@app.command()
def render(
    template: Annotated[str, typer.Option(
        "--template", "-t", metavar="NAME|PATH",
        help="notes.tex, slides.tex, notes.md, explorer.html (an interactive page), or your own <name>.tex.jinja / <name>.md.jinja file.")] = "notes.tex",
    entries: Annotated[Optional[list[str]], typer.Option(
        "--entries", "-e", metavar="ENTRY", show_default=False,
        help="Gradients whose naive expansions are written out (repeat or separate by commas). "
             "Default: the lecture's two exercises.")] = None,
    title: Annotated[str, typer.Option("--title", help="Document title.")] = "Backpropagation",
    author: Annotated[str, typer.Option("--author", help="Author line.")] = "",
    course: Annotated[str, typer.Option("--course", help="Course line.")] = "",
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="Compile with pdflatex and write the PDF to --out (implied by --out FILE.pdf). A failed "
                      "compile leaves its log in FILE.log, replacing an existing one only with --force.")] = False,
    max_paths: Annotated[Optional[int], typer.Option(
        "--max-paths", callback=_positive, metavar="N", show_default=False,
        help="Refuse an entry with more naive paths than N: the document writes out every one (default 64).")] = None,
    point: Annotated[Optional[Path], typer.Option(
        "--point", "-p", metavar="FILE", dir_okay=False, show_default=False,
        help="Numbers at this point (JSON, as symbp grad reads it): notes, slides and Markdown add a worked example with every number; explorer.html shows them on the page.")] = None,
    lr: Annotated[Optional[float], typer.Option(
        "--lr", metavar="ETA", show_default=False,
        help="With --point: the gradient-descent update of every weight and bias.")] = None,
    digits: Annotated[int, typer.Option("--digits", help="With --point: decimals shown in a worked example.")] = 4,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """A whole document: LaTeX notes or slides, or Markdown notes.

    \b
    Examples:
      symbp render --out notes.tex
      symbp render --template slides.tex --title "Week 5: δ and σ" --out slides.pdf
      symbp render --template notes.md --activation sigmoid --cost squared_error
      symbp render --template my/handout.tex.jinja --out handout.tex
      symbp render --template explorer.html --out page.html
      symbp render --template explorer.html --layers 2,2,1 --activation sigmoid --cost squared_error --point point.json --lr 0.1 --out page.html
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--point": point, "--template": Path(template), "--spec": spec})
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True)
    from .render.output import render_file

    _emit(render_file(network, template, entries, out=out, pdf=pdf, point=point, max_paths=max_paths, title=title,
                      author=author, course=course, lr=lr, digits=digits), out, force)


@app.command()
def cost(
    entries: Annotated[Optional[list[str]], typer.Argument(
        metavar="ENTRY", show_default=False,
        help="Entries to count (W2_1_2, W2, b1, all). Default: every weight and bias.")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", metavar="FILE", dir_okay=False, show_default=False,
        help="Also draw naive vs backprop multiplications as the network gets deeper and wider (.png, .svg, .pdf).")] = None,
    format: DataFormatOption = None,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Count naive paths and operations against backprop's.

    Per layer and in total for every weight and bias; per entry too for the entries named.

    Counted by formula, nothing is expanded, so this answers at once for any size.
    JSON: {"layers": {"1": {"paths": ..., "naive": {...}, "backprop": {...}}, ...},
    "totals": {...}}, and "entries": {"W1_1_1": {...}, ...} when entries are named.

    \b
    Examples:
      symbp cost
      symbp cost --layers 16,64,64,1 --format json
      symbp cost W1 --layers 8,32,32,32,1
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--spec": spec})
    format = _format(out, format, DataFormat.text)
    # By formula, so any size answers at once; only rows per entry grow with it (groups such as W1 or all).
    groups = [name for name in entries or () if "_" not in name]
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True, guarded=bool(groups))
    from .counts import cost_summary
    from .docmodel import CostTable
    from .printers import print_document
    from .spec import check_countable

    check_countable(network)
    table = CostTable(cost_summary(network, network.select(entries) if entries else None))
    if plot is not None:
        from .plots import cost_plot, plot_format, render as render_plot

        _check_out(plot, force, "--plot")
        _emit(render_plot(cost_plot(network), plot_format(str(plot))), plot, force, "--plot")
    _emit(print_document(table, format.value), out, force)


@app.command()
def algorithm(
    format: FormatOption = None,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """The forward and backward pass for the network.

    The lecture's "Truly Complete Version" with this network's layers, σ and C.

    \b
    Examples:
      symbp algorithm
      symbp algorithm --layers 2,3,2 --activations relu,sigmoid --cost binary_cross_entropy
      symbp algorithm --format latex --out algorithm.tex
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--spec": spec})
    format = _format(out, format, Format.text)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2, batched=True)
    from .printers import print_algorithm

    _emit(print_algorithm(network, format.value, _width(out, format.value)), out, force)


@app.command()
def codegen(
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    dtype: Annotated[Dtype, typer.Option(
        "--dtype", help="What the module computes in and returns: float64 or float32.")] = Dtype.float64,
    batch: BatchOption = None,
    l2: L2Option = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Write a NumPy module computing the loss and its gradients.

    The module defines loss_and_gradients(params, x, t) for the network.

    params holds W1, b1, ... in the point-file layout, x has shape (N, D(0)), t
    (N, D(L)); it returns the mean cost over the N samples and its gradients with
    the keys and shapes of params. The module needs only NumPy.

    \b
    Example:
      symbp codegen --layers 16,64,64,1 --activation sigmoid --cost squared_error --out net_grad.py
      symbp codegen --layers 16,64,64,1 --activation sigmoid --cost squared_error --dtype float32
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--spec": spec})
    output_format(out, None, ["python"], "python")  # refuses --out x.json and the like
    from .spec import MAX_BATCH

    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2,
                       batched=True, max_batch=MAX_BATCH)  # the generated code takes any N: only its docstring says N
    _needs_numbers(network, "codegen")
    from .codegen import module_source

    _emit(module_source(network, dtype.value), out, force)


@app.command()
def picture(
    entry: Annotated[Optional[str], typer.Argument(
        metavar="ENTRY", show_default=False,
        help="Highlight the naive paths of this entry (W1_2_3, b2_1, z2_1, a1_2). Default: none.")] = None,
    format: Annotated[Optional[PictureFormat], typer.Option(
        "--format", "-f", show_default=False,
        help="dot (Graphviz source), or svg, png, pdf drawn by Graphviz. Default: from --out's suffix, else dot.")] = None,
    point: Annotated[Optional[Path], typer.Option(
        "--point", "-p", metavar="FILE", dir_okay=False, show_default=False,
        help="Write the numbers at this point (JSON, as symbp grad reads it) on the graph: values, deltas, "
             "local derivatives, and each weight with its gradient.")] = None,
    max_paths: MaxPathsOption = None,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Draw the computation graph, with the naive paths of one entry in bold.

    The lecture's computation-graph slide for your network: inputs, every z and a,
    and C. Naming an entry shows every path its naive expansion sums over. svg, png
    and pdf need Graphviz's dot program and --out. A batch is drawn as the graph of
    one example n; the title gives C = (1/N) sum_n C^(n) and, with --l2, the decay.

    \b
    Examples:
      symbp picture W1_2_3 --out paths.png
      symbp picture b1_1 --layers 2,4,4,1 --format dot | dot -Tsvg > paths.svg
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--point": point, "--spec": spec})
    chosen = _format(out, format, PictureFormat.dot)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2,
                       batched=True)
    from .render.output import picture_file

    _emit(picture_file(network, entry, format=chosen.value, out=out, point=point, max_paths=max_paths), out, force)


def _optional_batch(value: int | None) -> int | None:
    """verify's --batch: samples per point, 1 to MAX_BATCH, or None for the spec's batch."""
    return None if value is None else _batch(value)


@app.command()
def verify(
    target: Annotated[str, typer.Argument(
        metavar="FILE.py:FUNCTION", show_default=False,
        help="Your gradient function: FUNCTION(params, x, t) -> (C, grads) in FILE.py.")],
    points: Annotated[int, typer.Option("--points", "-n", callback=_points, help="Random points to compare at.")] = 5,
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="Seed of the random points.")] = 0,
    batch: Annotated[Optional[int], typer.Option(
        "--batch", metavar="N", callback=_optional_batch, show_default=False,
        help="Samples per point (rows of x and t); symbp's C is their mean. Default: the spec's batch, else 1.")] = None,
    tol: Annotated[float, typer.Option("--tol", callback=_not_negative,
                                       help="Largest relative error that counts as a match.")] = 1e-6,
    per_example: Annotated[bool, typer.Option(
        "--per-example", help="FUNCTION takes one example (x of shape (D(0),)); default: detected.")] = False,
    format: Annotated[DataFormat, typer.Option("--format", "-f", help="Output format.")] = DataFormat.text,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    l2: L2Option = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
) -> None:
    """Check your own backprop code against symbp's gradients, and name the mistake.

    FUNCTION(params, x, t) returns (C, grads): params and grads hold W1 (D(1) x D(0)),
    b1 (D(1),), ...; x has shape (N, D(0)) and t (N, D(L)); C is the mean cost, plus
    (LAMBDA/2) sum W^2 with --l2 (then dC/dW gains LAMBDA W; biases are not decayed). A
    function of one example is detected. Exit status 0 when your gradients match,
    1 when they do not (the report names the mistake when it knows it) or when your
    code raises (its traceback is shown, your frames only), 2 when the file, the
    function or its output's keys and shapes are unusable.

    \b
    Examples:
      symbp verify my_nn.py:backward --layers 4,5,3 --activation sigmoid --cost squared_error
      symbp verify my_nn.py:backward --layers 2,3,1 --activation tanh --cost squared_error --batch 8
      symbp verify my_nn.py:backward --layers 2,3,1 --activation tanh --cost squared_error --batch 8 --l2 0.01
      symbp verify my_nn.py:backward --spec net.toml --format json
    """
    from .testing import GradientContractError, load_function, report_output, verify_function

    try:
        fn = load_function(target)  # the file first: its problems are the likelier ones
        network = _network(spec, layers, activation, activations, cost, max_size, define=define, l2=l2, batched=True)
        report = verify_function(fn, network, points=points, seed=seed, batch=batch, tol=tol, per_example=per_example)
    except (SymbpError, GradientContractError) as error:
        _fail(f"{target}: {error}" if isinstance(error, GradientContractError) else str(error))
    except SystemExit as error:  # the user's code ended the process: that is no pass, whatever its status
        typer.echo(f"symbp: verify: {target} called sys.exit({error.code!r}) instead of returning (C, grads)",
                   err=True)
        sys.exit(CHECK_FAILED_EXIT)
    except Exception as error:
        _user_traceback(error, target)
    _emit(report_output(report, format.value), None, False)
    if not report.passed:
        raise typer.Exit(CHECK_FAILED_EXIT)


@app.command()
def example(
    point: Annotated[Optional[Path], typer.Option(
        "--point", "-p", metavar="FILE", dir_okay=False, show_default=False,
        help="JSON point file as symbp grad reads it. Default: a random point with one-decimal numbers (--seed).")] = None,
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="Seed of the random point when no --point is given.")] = 0,
    lr: Annotated[Optional[float], typer.Option(
        "--lr", metavar="ETA", show_default=False, help="Learning rate: add the gradient-descent update w - eta dC/dw.")] = None,
    steps: Annotated[int, typer.Option(
        "--steps", callback=_positive, help="Gradient-descent steps with --lr: the first in full, then C after each.")] = 1,
    entry: Annotated[Optional[str], typer.Option(
        "--entry", metavar="ENTRY", show_default=False,
        help="One weight or bias (e.g. W1_2_3) whose gradient is also shown along the naive paths, path by path.")] = None,
    digits: Annotated[int, typer.Option("--digits", help="Decimals shown (0 to 15).")] = 6,
    round_intermediates: Annotated[bool, typer.Option(
        "--round-intermediates", help="Round every intermediate to --digits before the next step uses it, as by hand.")] = False,
    format: FormatOption = None,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """A worked example with every number: forward pass, backward pass, gradients, updates.

    Each z, a, C, delta and gradient is shown as its formula, then with the numbers
    put in, then its value. With --batch N every example's pass is shown, then the
    1/N mean; with --l2 the decay's lambda W^(m)_ij in each dC/dW. JSON: {"forward":
    {"z1": [...], "a1": [...], ...}, "C": ..., "deltas": {"delta1": [...], ...}, "grad":
    {"W1": [[...]], "b1": [...], ...}} (with a batch, z, a and delta have a row per
    example), with --lr also "updated" (the point after one step) and "steps"
    ([{"C": C after the step, "updated": {...}}, ...]).

    \b
    Examples:
      symbp example --layers 2,2,2 --activation sigmoid --cost squared_error --seed 1 --lr 0.5
      symbp example --layers 2,2,1 --activation sigmoid --cost squared_error --point p.json --digits 4 --round-intermediates
      symbp example --layers 2,2,1 --activation sigmoid --cost squared_error --batch 2 --l2 0.1
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--point": point, "--spec": spec})
    format = _format(out, format, Format.text)
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2,
                       batched=True)
    _needs_numbers(network, "example")
    if steps > 1 and lr is None:
        raise SymbpError(f"--steps {steps} needs a learning rate; add e.g. --lr 0.5")
    from .example import nice_point, worked_example
    from .printers import print_example

    values = _point_values(network, point) if point is not None else nice_point(network, seed)
    result = worked_example(network, values, lr=lr, steps=steps, digits=digits,
                            round_intermediates=round_intermediates, entry=entry)
    _emit(print_example(result, format.value, _width(out, format.value)), out, force)


@app.command()
def train(
    data: Annotated[str, typer.Option(
        "--data", "-d", metavar="NAME|FILE", show_default=False,
        help="A shipped data set (xor, spiral) or a CSV (header x1,x2,...,t) or JSON ([{\"x\": [...], \"t\": [...]}]) file.")],
    epochs: Annotated[int, typer.Option("--epochs", callback=_epochs, help="Passes over the data set (at most 1,000,000).")] = 1000,
    lr: Annotated[float, typer.Option("--lr", metavar="ETA", help="Learning rate.")] = 0.5,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch", "--batch-size", metavar="N", callback=_positive, show_default=False,
        help="Minibatch: N rows per step, C their mean cost (as in derive --batch). Default: the whole data set.")] = None,
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="Seed of the initial weights and of the batch order.")] = 0,
    params: Annotated[Optional[Path], typer.Option(
        "--params", metavar="FILE", dir_okay=False, show_default=False,
        help="Write the trained parameters as a point file (x and t: the first row), for symbp grad and example.")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", metavar="FILE", dir_okay=False, show_default=False,
        help="Draw the cost curve to FILE (.png, .svg or .pdf).")] = None,
    format: DataFormatOption = None,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    l2: L2Option = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Train a network on a small data set by gradient descent, with the generated gradient code.

    Each step moves every parameter by -lr times the gradient of the minibatch's mean
    cost, plus (with --l2) the decay's LAMBDA W. Reports the cost (with the decay)
    before and after, and the accuracy when the targets are classes (0 or 1). Without network options: D(0),8,D(L) with tanh then sigmoid and binary
    cross-entropy. JSON: {"costs": [C before, C after epoch 1, ...], "final_cost": ...,
    "accuracy": ..., "parameters": {"W1": [[...]], ...}}.

    \b
    Examples:
      symbp train --data xor --plot xor.png
      symbp train --data spiral --layers 2,16,16,1 --activations tanh,tanh,sigmoid \
        --cost binary_cross_entropy --epochs 2000 --lr 0.3 --batch 10 --l2 0.001
    """
    _check_out(out, force)
    refuse_overwriting_inputs(out, "--out", {"--data": Path(data), "--spec": spec})
    for target, option in ((params, "--params"), (plot, "--plot")):
        if target is not None:
            _check_out(target, force, option)
            refuse_overwriting_inputs(target, option, {"--data": Path(data), "--spec": spec})
    format = _format(out, format, DataFormat.text)
    from .numeric import point_shapes  # noqa: F401  (NumPy and SymPy load before the clock starts)
    from .train import train_on

    if plot is not None:
        from .plots import plot_format

        plot_format(str(plot))
    given = any(option is not None for option in (spec, layers, activation, activations, cost))
    if define and spec is None and activation is None and activations is None:
        raise SymbpError(f"--define {define[0]!r} names a non-linearity that no layer uses; train's default network "
                         "is tanh then sigmoid: give --activation(s) NAME (or a --spec) to train with it")
    network = _network(spec, layers, activation, activations, cost, max_size, define=define, l2=l2, batched=True) if given else None
    progress = _Progress("train")

    def report(done: int, total: int, current: float) -> None:
        progress.label = f"train C = {current:.4f}"
        progress(done, total)

    try:
        training = train_on(data, network, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, l2=l2, progress=report)
    finally:
        progress.close()
    if params is not None:
        _emit(training.point_file(), params, force, "--params")
    if plot is not None:
        _emit(training.plot(plot_format(str(plot))), plot, force, "--plot")
    _emit(training.report(format.value), out, force)


def _user_traceback(error: Exception, target: str) -> NoReturn:
    """The traceback of an exception from the user's code, without symbp's frames; exit status 1.

    An exception with no frame outside symbp is symbp's own bug and keeps its full traceback.
    """
    import traceback

    package = str(Path(__file__).resolve().parent)
    frames = [(frame, line) for frame, line in traceback.walk_tb(error.__traceback__)
              if not frame.f_code.co_filename.startswith((package, "<frozen"))]
    if not frames:
        raise error
    stack = traceback.StackSummary.extract(frames)
    typer.echo("Traceback (most recent call last):\n" + "".join(stack.format())
               + "".join(traceback.format_exception_only(type(error), error)), err=True, nl=False)
    typer.echo(f"symbp: verify: {target} raised {type(error).__name__} (traceback above, your code's frames only)",
               err=True)
    sys.exit(CHECK_FAILED_EXIT)


@app.command()
def grade(
    entry: Annotated[Optional[str], typer.Option(
        "--entry", "-e", metavar="ENTRY", show_default=False,
        help="The entry the answer is dC/d of: W2_1_2, b1_2, z2_1, a1_2. With --answers: for rows without one.")] = None,
    answer: Annotated[Optional[str], typer.Option(
        "--answer", "-a", metavar="TEXT", show_default=False,
        help="The answer in symbp's text notation (ASCII, Unicode or LaTeX).")] = None,
    answers: Annotated[Optional[Path], typer.Option(
        "--answers", metavar="FILE", dir_okay=False, show_default=False,
        help="A class's answers: CSV (header student,entry,answer) or JSON (a list of such objects).")] = None,
    report: Annotated[Optional[Path], typer.Option(
        "--report", metavar="FILE", dir_okay=False, show_default=False,
        help="With --answers: write student, item, verdict, feedback to FILE (.csv or .json).")] = None,
    sheet: Annotated[Optional[Path], typer.Option(
        "--sheet", metavar="FILE", dir_okay=False, show_default=False,
        help="With --answers: the JSON of symbp exercise; each row's exercise id (ex1, ...) picks its network, "
             "entry and kind.")] = None,
    no_delta: Annotated[bool, typer.Option(
        "--no-delta", help="Refuse answers written with delta (the factors must be written out).")] = False,
    points: Annotated[int, typer.Option("--points", "-n", callback=_points,
                                        help="Random points of the numeric check.")] = 3,
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="Seed of the random points.")] = 0,
    layers: LayersOption = None,
    activation: ActivationOption = None,
    activations: ActivationsOption = None,
    define: DefineOption = None,
    cost: CostOption = None,
    batch: BatchOption = None,
    l2: L2Option = None,
    spec: SpecOption = None,
    max_size: MaxSizeOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Let --report replace an existing file (it keeps its mode; a new file gets the umask's).")] = False,
) -> None:
    """Grade a derivation of dC/d(entry) against the naive chain rule, with feedback.

    One answer: exit status 0 correct, 1 incorrect, 2 unreadable (the message names
    the position of the first unreadable token). A class (--answers): prints how many
    are correct per entry and the most common mistakes, writes --report, and exits 0
    once every row is graded, whatever the verdicts (2 when the file cannot be read).
    With --l2, dC/dW's answer ends in + lambda * W (lambda, λ or its number). With
    --batch N, example n's quantities carry _n and its number (a1_2_n1, delta2_1_n2,
    sigma2'(z2_1_n1), dC/da3_n1, t_n2) and dC/dW is the mean over the examples:
    (delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2) / 2. (--sheet grades each
    exercise's own network, which has one example.)

    \b
    Examples:
      symbp grade --entry W2_1_2 --answer "dC/da3 * sigma3'(z3) * w3_1 * sigma2'(z2_1) * a1_2"
      symbp grade --entry W2_1_2 --answer "delta2_1 * a1_2"
      symbp grade --entry W2_1_2 --answer "delta2_1 * a1_2 + lambda * W2_1_2" --l2 0.01
      symbp grade --entry W2_1_2 --answer "(delta2_1_n1 * a1_2_n1 + delta2_1_n2 * a1_2_n2) / 2" --batch 2
      symbp grade --answers class.csv --report graded.csv --activation sigmoid --cost squared_error
      symbp grade --answers answers.csv --sheet week5.json --report report.csv
    """
    from .grading import check_grade_options, grade_answers

    network = _network(spec, layers, activation, activations, cost, max_size, define=define, batch=batch, l2=l2,
                       batched=True)
    given = [option for option, value in (("--layers", layers), ("--activation", activation), ("--activations",
             activations), ("--define", define), ("--cost", cost), ("--batch", batch), ("--l2", l2), ("--spec", spec))
             if value is not None]
    check_grade_options(network, entry=entry, answer=answer, answers=answers, report=report, sheet=sheet,
                        network_options=given)
    _check_out(report, force, "--report")
    refuse_overwriting_inputs(report, "--report", {"--answers": answers, "--spec": spec, "--sheet": sheet})
    graded = grade_answers(network, entry=entry, answer=answer, answers=answers, report=report, sheet=sheet,
                           allow_delta=not no_delta, points=points, seed=seed)
    if graded.report is not None:
        _emit(graded.report, report, force, "--report")
    typer.echo("\n".join(graded.lines))
    raise typer.Exit(graded.status)


class SheetFormat(str, Enum):
    latex = "latex"
    markdown = "markdown"
    json = "json"


@app.command()
def exercise(
    seed: Annotated[int, typer.Option("--seed", callback=_seed, help="The same seed always gives the same sheets.")] = 0,
    count: Annotated[int, typer.Option("--count", "-n", callback=_up_to(100), help="Exercises on the sheet.")] = 6,
    kind: Annotated[Optional[list[str]], typer.Option(
        "--kind", "-k", metavar="KIND", show_default=False,
        help="chain, backprop, count, numeric, spot-the-error (repeat or separate by commas), taken in turn. "
             "Default: all five.")] = None,
    layers: Annotated[Optional[str], typer.Option(
        "--layers", metavar="SIZES", show_default=False,
        help="Widths D(0),...,D(L), each a number or a range drawn from, e.g. 2-4,1-3,1. Default: 2-3,2-3,2,1-2.")]
        = None,
    activations: Annotated[Optional[str], typer.Option(
        "--activations", metavar="NAMES", show_default=False,
        help="Non-linearities to draw from, separated by commas (one per network). Default: abstract,sigmoid,tanh.")]
        = None,
    costs: Annotated[Optional[str], typer.Option(
        "--costs", metavar="NAMES", show_default=False,
        help="Costs to draw from, separated by commas. Default: abstract,squared_error.")] = None,
    define: DefineOption = None,
    l2: L2Option = None,
    batch: Annotated[Optional[int], typer.Option(
        "--batch", metavar="N", show_default=False, parser=_whole,
        help="Only 1: each exercise asks for one example's gradients (a batch's are their 1/N mean).")] = None,
    spec: Annotated[Optional[Path], typer.Option(
        "--spec", metavar="FILE", dir_okay=False, show_default=False,
        help="TOML or JSON spec file (as derive reads it): its layers, non-linearity, cost, define and l2 are "
             "the sheet's; --layers, --activations, --costs, --define and --l2 override them.")] = None,
    depth: Annotated[Optional[str], typer.Option(
        "--depth", metavar="RANGE", show_default=False,
        help="Layers between the asked entry and the output, e.g. 1 or 0-1 (0: the output layer's weights). "
             "Default: any.")] = None,
    format: Annotated[Optional[SheetFormat], typer.Option(
        "--format", "-f", show_default=False,
        help="latex, markdown or json. Default: from --out's suffix (.tex, .md, .json, .pdf), else markdown.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Compile both sheets with pdflatex (implied by --out FILE.pdf).")]
        = False,
    out: OutOption = None,
    force: ForceOption = False,
) -> None:
    """Exercise sheets with worked solutions, on fresh networks, byte for byte the same for a seed.

    --out week5.pdf writes week5.pdf and week5-solutions.pdf (likewise .tex and .md);
    JSON holds both in one file: {"seed", "exercises": [{"id", "kind", "network", "entry",
    "question", "solution", "answer"}]}, the answer in the notation symbp grade reads,
    or the numbers. Without --out, Markdown (the sheet, then the solutions) or JSON is printed.

    \b
    Examples:
      symbp exercise --seed 7 --count 6 --out week5.pdf --pdf
      symbp exercise --kind chain,spot-the-error --layers 3,2,2,1 --depth 1-2 --out quiz.md
      symbp exercise --kind numeric --layers 2,2,1 --activations sigmoid --costs squared_error -f json
      symbp exercise --define sw='x/(1+exp(-x))' --activations sw,tanh --l2 0.01 --out week6.md
    """
    from .exercise import KINDS, exercises
    from .render.output import sheet_files, sheet_targets

    chosen = output_format(out, "pdf" if pdf else (format.value if format else None),
                           ["latex", "markdown", "json", "pdf"], "markdown", option="--pdf" if pdf else "--format",
                           writer="symbp exercise")
    if pdf and format not in (None, SheetFormat.latex):
        raise SymbpError(f"--pdf compiles LaTeX, but --format asks for {format.value}")
    for target in sheet_targets(chosen, out):
        _check_out(target, force)
    sheet = exercises(seed, count, ",".join(kind) if kind else KINDS, depth=depth,
                      **_sheet_knobs(spec, layers, activations, costs, define, l2, batch))
    files = sheet_files(sheet, chosen, out)
    if len(files) == 1:
        _emit(files[0][1], out, force)
        return
    from .io import write_all

    write_all([(target, data, option) for (target, data), option in zip(files, ("--out", "the solutions"))], force)
    for target, _ in files:
        typer.echo(f"wrote {target}", err=True)  # both or neither were written


def _sheet_knobs(spec: Path | None, layers: str | None, activations: str | None, costs: str | None,
                 define: list[str] | None, l2: float | None, batch: int | None) -> dict[str, Any]:
    """exercise's knobs: the spec file's network (its widths, its one non-linearity, its cost), then the options."""
    from .specfile import network_arguments

    arguments = network_arguments(spec, define=define, l2=l2)
    batch = arguments.get("batch", 1) if batch is None else batch
    if batch != 1:
        raise SymbpError(f"batch {batch} is not offered in exercises: each exercise asks for one example's "
                         "gradients (a batch's dC/dW is the 1/N mean of such answers); accepted: batch 1 (for a "
                         "batch's numbers use symbp example --batch)")
    knobs: dict[str, Any] = {"define": arguments.get("define", {}), "l2": arguments.get("l2", 0.0)}
    if spec is not None:
        from .spec import Network

        network = Network(**{**arguments, "batch": 1})  # the spec's network, checked as every command checks it
        if len(set(network.activations)) > 1:
            raise SymbpError(f"spec {str(spec)!r} gives non-linearities {', '.join(network.activations)}, but an "
                             "exercise's network has one in every layer; accepted: one name (or --activations to "
                             "draw from)")
        knobs.update(layers=",".join(map(str, network.layers)), activations=network.activations[:1],
                     costs=(network.cost,))
    knobs.update((name, value) for name, value in (("layers", layers), ("activations", activations),
                                                   ("costs", costs)) if value is not None)
    return knobs


def main() -> None:
    """Run symbp as a command, from Python or ``python -m symbp.cli``: ends by raising ``SystemExit``."""
    clean_up_on_signals()
    app(prog_name="symbp")


def console() -> NoReturn:
    """The ``symbp`` console script: ``main``, then an exit without finalising the interpreter."""
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    _exit_at_once(code)


def _exit_at_once(code: object) -> NoReturn:
    """Exit without finalising the interpreter: freeing SymPy's caches and modules object by
    object took 0.35 s of a 1.7 s ``check``. Every file symbp writes is closed by then (written
    to a temporary file and renamed, temporary folders removed by ``with``), so only the
    standard streams are left to flush. Only for the console script: a Python caller of
    ``main`` (a profiler, a test) keeps its process."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        if sys.stdout is not None:  # None when symbp was started with standard output closed
            sys.stdout.flush()
    except OSError as error:  # e.g. the reader of a pipe left before the last buffer
        print(f"symbp: error: {stdout_failed(error)}", file=sys.stderr)
        code = code or USAGE_EXIT
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except OSError:
        pass  # nowhere left to say so
    os._exit(code)


if __name__ == "__main__":
    main()
