"""Where output goes: standard output, or a file written whole, never over anything but a regular file.

The policy for ``--out FILE`` (checked before any work, and again when writing):

- ``-`` means standard output.
- A new path in an existing folder is created with the mode the umask gives (``0o666 & ~umask``).
- An existing regular file is replaced only with ``force``, and keeps its mode.
- A symbolic link is followed: with ``force`` the file it points to is replaced (the link stays),
  provided that file is a regular file; a link to nothing, to a folder or to a device is refused.
- A folder, character or block device, FIFO or socket is refused, even with ``force``.

Files are written to a temporary file in the target's folder and moved into place with
``os.replace``, so a reader sees the old file or the new one, never half of one. Every
``OSError`` becomes a ``SymbpError`` naming the file.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Sequence

from .errors import SymbpError

STDOUT = "-"
"""The ``--out`` value that means standard output."""

FORMAT_SUFFIXES = {
    ".txt": "text", ".text": "text", ".tex": "latex", ".md": "markdown", ".markdown": "markdown",
    ".json": "json", ".py": "python", ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf",
    # Formats symbp never writes: named so that a file of theirs is refused, not filled with something else.
    ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".bmp": "bmp", ".tif": "tiff", ".tiff": "tiff",
    ".webp": "webp", ".eps": "eps", ".ps": "postscript", ".html": "html", ".htm": "html", ".xml": "xml",
    ".csv": "csv", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".docx": "docx", ".odt": "odt", ".rtf": "rtf",
}
"""What a file's suffix says it holds."""

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that ``with`` blocks and ``finally`` clean up."""

    def __init__(self, signal_number: int):
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


def _raise_interrupted(signal_number: int, frame: FrameType | None) -> None:
    raise Interrupted(signal_number)


def clean_up_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into an exception, so temporary files and folders are removed as for Ctrl-C."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_interrupted)


def is_stdout(out: Path | None) -> bool:
    """No ``--out``, or ``--out -``."""
    return out is None or str(out) == STDOUT


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None)


def check_target(out: Path, force: bool, option: str = "--out") -> Path:
    """The path that writing ``out`` will replace or create; refuse anything else (see the module docstring)."""
    shown = f"{option} {str(out)!r}"
    try:
        link = os.lstat(out)
    except FileNotFoundError:
        link = None
    except OSError as error:
        raise SymbpError(f"{shown} cannot be examined: {error.strerror}") from None
    if link is not None and stat.S_ISLNK(link.st_mode):
        try:
            target = Path(os.path.realpath(out, strict=True))
            mode = os.stat(target).st_mode
        except (OSError, RuntimeError):
            raise SymbpError(f"{shown} is a symbolic link to nothing; name a file or a new path") from None
        if not stat.S_ISREG(mode):
            raise SymbpError(
                f"{shown} is a symbolic link to {_kind(mode)}; symbp writes only regular files and new paths"
            )
        if not force:
            raise SymbpError(f"{shown} exists (a link to {str(target)!r}); add --force to replace that file")
        return target
    if link is not None:
        kind = _kind(link.st_mode)
        if kind == "a folder":
            raise SymbpError(f"{shown} is a folder; name a file")
        if kind is not None:
            raise SymbpError(f"{shown} is {kind}; symbp writes only regular files and new paths, even with --force")
        if not force:
            raise SymbpError(f"{shown} exists; add --force to replace it")
        return out
    folder = out.parent
    if not folder.is_dir():
        raise SymbpError(f"{shown}: folder {str(folder)!r} does not exist; create it or name another file")
    return out


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (other threads may be creating files)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(out: Path, data: str | bytes, force: bool, option: str = "--out") -> None:
    """Write ``out`` whole or not at all, under the policy of the module docstring."""
    write_all([(out, data, option)], force)


def write_all(outputs: Sequence[tuple[Path, str | bytes, str]], force: bool) -> None:
    """Write every (path, data, option) whole, or none of them: each goes to a temporary file first,
    and the files are replaced only when every temporary file is written (a sheet and its solutions
    always match). Two outputs that are one file (a link, the same path) are refused."""
    targets = [check_target(out, force, option) for out, _, option in outputs]
    seen: dict[str, str] = {}
    for (out, _, option), target in zip(outputs, targets):
        real = os.path.realpath(target)
        if real in seen:
            raise SymbpError(f"{option} {str(out)!r} and {seen[real]} are the same file; name two files")
        seen[real] = f"{option} {str(out)!r}"
    written: list[str] = []
    shown = ""
    try:
        for (out, data, option), target in zip(outputs, targets):
            shown = f"{option} {str(out)!r}"
            written.append(_write_temporary(out, target, data, option))
        for temporary, (out, _, option), target in zip(written, outputs, targets):
            shown = f"{option} {str(out)!r}"
            os.replace(temporary, target)
    except BaseException as error:
        for temporary in written:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SymbpError(f"cannot write {shown}: {error.strerror or error}") from None
        raise


def _write_temporary(out: Path, target: Path, data: str | bytes, option: str) -> str:
    """``data`` in a new temporary file beside ``target``, with the mode ``target`` has (or a new file gets)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    try:
        # A short fixed prefix: a name near the 255-byte limit must still leave room for the temporary's.
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".symbp-", suffix=".tmp")
    except OSError as error:
        raise SymbpError(f"cannot write {option} {str(out)!r}: {error.strerror}") from None
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SymbpError(f"cannot write {option} {str(out)!r}: {error.strerror or error}") from None
        raise
    return temporary


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so Python's flush at exit does not fail a second time."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test runner's buffer): nothing to silence


def stdout_failed(error: OSError) -> SymbpError:
    """The one-line error for a failed write to standard output (and stdout silenced)."""
    _silence_stdout()
    if isinstance(error, BrokenPipeError):
        return SymbpError("standard output was closed before symbp finished writing (broken pipe)")
    return SymbpError(f"cannot write to standard output: {error.strerror or error}")


def write_stdout(data: str | bytes) -> None:
    """Text or bytes to standard output; bytes are refused on a terminal."""
    stream = sys.stdout
    if stream is None:
        raise SymbpError("standard output is closed; name a file with --out FILE")
    try:
        if isinstance(data, bytes):
            if stream.isatty():
                raise SymbpError("binary output is not written to a terminal; redirect it or name a file with --out")
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        else:
            stream.write(data)
            stream.flush()
    except OSError as error:
        raise stdout_failed(error) from None


def refuse_overwriting_inputs(out: Path | None, option: str, inputs: dict[str, Path | None]) -> None:
    """Refuse an output that is one of the command's own input files: even --force must not replace them."""
    if out is None or is_stdout(out) or not os.path.exists(out):
        return
    for name, given in inputs.items():
        if given is not None and os.path.exists(given) and os.path.samefile(out, given):
            raise SymbpError(f"{option} {str(out)!r} is the {name} file this command reads; name another file")


def write_output(out: Path | None, data: str | bytes, force: bool, option: str = "--out") -> bool:
    """``data`` to standard output (``out`` None or ``-``) or to the file ``out``; True when a file was written.

    ``option`` is how errors name the file (``--plot``, ``--report``, ...)."""
    if is_stdout(out):
        write_stdout(data)
        return False
    assert out is not None
    write_atomic(out, data, force, option)
    return True


def suffix_format(out: Path | None) -> str | None:
    """The format ``out``'s suffix names, if any (standard output has none)."""
    if is_stdout(out):
        return None
    assert out is not None
    return FORMAT_SUFFIXES.get(out.suffix.lower())


def suffixes(format: str) -> str:
    """``.tex`` or ``.md/.markdown``: the suffixes that name ``format``."""
    return "/".join(s for s, f in FORMAT_SUFFIXES.items() if f == format) or "any"


def output_format(out: Path | None, chosen: str | None, accepted: Sequence[str], default: str,
                  option: str = "--format", writer: str = "this command") -> str:
    """The format to write: ``chosen``, else the one ``out``'s suffix names, else ``default``.

    A suffix naming a format outside ``accepted``, or one other than ``chosen``, is refused.
    """
    named = suffix_format(out)
    if named is None:
        return chosen or default
    if named not in accepted:
        writes = ", ".join(f"{f} ({suffixes(f)})" for f in accepted)
        raise SymbpError(f"--out {str(out)!r} names a {named} file, which {writer} does not write; "
                         f"it writes {writes}")
    if chosen is not None and chosen != named:
        raise SymbpError(f"--out {str(out)!r} names a {named} file, but {option} asks for {chosen}; "
                         f"make them agree, e.g. --out {Path(str(out)).stem}{suffixes(chosen).split('/')[0]}")
    return named
