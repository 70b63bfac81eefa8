"""Issue 8, "What was seen" items 3, 4 and 9 (the I/O parts): no write can harm, every failure is one line.

Oracles: the file system itself (``os.lstat`` kinds, a file made by plain ``open()`` under the same
umask for the mode a new file should get), the bytes symbp prints to a pipe, and the kernel's own
errors (``/dev/full``, an immutable folder, sysfs) met by a real subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tools import require_programs

from test_cli import invoke, ok

pytestmark = pytest.mark.slow  # heavier: run by .ci/run (pytest -m slow), kept out of the README's quick command

COMMAND = [sys.executable, "-c", "from symbp.cli import console; console()"]  # what the symbp script runs


def run(*args: str, **options) -> subprocess.CompletedProcess[str]:
    """The console entry point in a subprocess (signal handlers and real file descriptors included)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([*COMMAND, *args], text=True, timeout=120, check=False, **options)


def one_line(stderr: str, *says: str) -> None:
    assert stderr.startswith("symbp: error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    for part in says:
        assert part in stderr, (part, stderr)


def refused(*args: str, says: tuple[str, ...] = ()) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    one_line(result.stderr, *says)


# Item 3: devices, FIFOs, sockets, symlinks, modes ------------------------------------------------------


def test_out_onto_a_character_device_is_refused_even_with_force(tmp_path):
    device = tmp_path / "nd"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers, as in the issue
    except PermissionError:  # not root: a link to /dev/null meets the same rule through the link
        device.symlink_to("/dev/null")
    refused("derive", "--out", str(device), "--force", says=("/nd'", "character device", "regular files"))
    assert stat.S_ISCHR(os.stat(device).st_mode)  # still a device, not replaced by a regular file


def test_out_onto_a_fifo_is_refused_even_with_force(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused("cost", "--out", str(fifo), "--force", says=("FIFO",))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_onto_a_socket_is_refused_even_with_force(tmp_path):
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        refused("cost", "--out", str(path), "--force", says=("socket",))
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_out_onto_a_folder_is_refused_even_with_force(tmp_path):
    refused("cost", "--out", str(tmp_path), "--force", says=("directory",))
    assert tmp_path.is_dir()


def test_out_through_a_symlink_replaces_the_regular_file_it_points_to_only_with_force(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    refused("cost", "--out", str(link), says=("exists", "real.json", "--force"))
    assert target.read_text() == "old"
    ok("cost", "--out", str(link), "--force")
    assert link.is_symlink() and os.readlink(link) == "real.json"  # the link stays a link ...
    assert json.loads(target.read_text())["totals"]["paths"] == 25  # ... to the new file (3,2,2,1: 16 + 6 + 3)


def test_out_through_a_dangling_symlink_or_one_to_a_folder_is_refused(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    refused("cost", "--out", str(tmp_path / "dangling"), "--force", says=("link to nothing",))
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "folder").mkdir()
    (tmp_path / "to-folder").symlink_to("folder")
    refused("cost", "--out", str(tmp_path / "to-folder"), "--force", says=("to-folder", "directory"))
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umasks_mode(tmp_path, umask):
    previous = os.umask(umask)
    try:
        with open(tmp_path / "by-open.txt", "w"):  # what any program's new file gets under this umask
            pass
        ok("cost", "--out", str(tmp_path / "by-symbp.txt"))
    finally:
        os.umask(previous)
    expected = stat.S_IMODE(os.stat(tmp_path / "by-open.txt").st_mode)
    assert stat.S_IMODE(os.stat(tmp_path / "by-symbp.txt").st_mode) == expected


def test_force_keeps_the_mode_of_the_replaced_file(tmp_path):
    out = tmp_path / "shared.txt"
    out.write_text("old")
    out.chmod(0o664)
    ok("cost", "--out", str(out), "--force")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o664 and out.read_text() != "old"


# Item 4: read-only folder, full disk, closed stdout ----------------------------------------------------


def test_out_into_a_read_only_folder_is_one_line(tmp_path):
    """Root ignores permission bits, so the folder is made immutable (chattr +i), which binds root too."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        if os.geteuid() == 0:
            pytest.skip("chattr +i not available here, and root ignores chmod")
        folder.chmod(0o555)
    try:
        refused("cost", "--out", str(folder / "cost.txt"),
                says=("cost.txt", "not permitted" if os.geteuid() == 0 else "Permission denied"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


def test_out_where_the_kernel_says_permission_denied_is_one_line():
    """sysfs refuses to create files even for root: a real EACCES from the kernel."""
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs")
    refused("cost", "--out", "/sys/kernel/symbp-cost.txt", says=("/sys/kernel/symbp-cost.txt", "Permission denied"))


def test_a_full_disk_on_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        result = run("derive", stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 2
    one_line(result.stderr, "standard output", "No space left on device")


def test_out_onto_dev_full_is_refused_as_a_device():
    refused("derive", "--out", "/dev/full", "--force", says=("character device",))


def test_a_closed_stdout_is_one_line():
    result = run("derive", stdout=None, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert result.returncode == 2
    one_line(result.stderr, "standard output is closed", "--out")


def test_a_reader_gone_before_the_output_is_one_line():
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `symbp derive | head -c1` once head has exited
    try:
        result = run("derive", stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert result.returncode == 2
    one_line(result.stderr, "standard output", "broken pipe")


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_recursion_and_memory_errors_are_one_line_naming_the_command(monkeypatch, error):
    import symbp.cli

    def fail(*args, **kwargs):
        raise error()

    monkeypatch.setattr(symbp.cli, "_network", fail)
    refused("derive", "W1_1_1", says=("symbp derive", error.__name__))


# Item 9: -o -, suffixes, the .log of a failed PDF, SIGTERM ---------------------------------------------


def test_dash_means_standard_output_and_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plain = ok("cost", "--format", "json")
    dashed = ok("cost", "--format", "json", "-o", "-")
    assert dashed.stdout == plain.stdout and dashed.stderr == ""
    assert json.loads(dashed.stdout)["totals"]["paths"] == 25
    assert list(tmp_path.iterdir()) == []


def test_the_format_follows_the_suffix(tmp_path):
    ok("derive", "--out", str(tmp_path / "d.json"))
    assert {"network"} <= set(json.loads((tmp_path / "d.json").read_text()))
    ok("derive", "--out", str(tmp_path / "d.tex"))
    assert "\\begin{align*}" in (tmp_path / "d.tex").read_text()
    ok("cost", "--out", str(tmp_path / "c.json"))
    assert json.loads((tmp_path / "c.json").read_text())["totals"]["paths"] == 25
    if shutil.which("dot"):
        ok("picture", "--out", str(tmp_path / "p.svg"))
        assert "<svg" in (tmp_path / "p.svg").read_text()


@pytest.mark.parametrize("args, says", [
    (("derive", "-f", "latex", "--out", "x.json"), ("'x.json'", "json", "--format asks for latex", "x.tex")),
    (("derive", "--out", "x.pdf"), ("'x.pdf'", "pdf", "does not write", ".tex", ".md", ".json")),
    (("picture", "--out", "p.jpg"), ("'p.jpg'", "jpeg", ".png", ".svg", ".pdf", ".dot")),
    (("picture", "-f", "png", "--out", "p.svg"), ("'p.svg'", "--format asks for png")),
    (("render", "--pdf", "--out", "n.tex"), ("'n.tex'", "--pdf asks for pdf")),
    (("render", "--out", "n.md"), ("'n.md'", "template 'notes.tex' does not write")),
    (("render", "-t", "notes.md", "--out", "n.pdf"), ("'n.pdf'", "template 'notes.md' does not write")),
    (("codegen", "--activation", "sigmoid", "--cost", "squared_error", "--out", "g.json"), ("'g.json'", ".py")),
    (("cost", "--out", "c.tex"), ("'c.tex'", "latex", ".json", ".txt")),
])
def test_a_suffix_contradicting_the_format_is_refused(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    refused(*args, says=says)
    assert list(tmp_path.iterdir()) == []


BROKEN_TEMPLATE = "\\documentclass{article}\\begin{document}<%= title %>\\nosuchmacro\\end{document}\n"


def test_a_failed_pdf_never_overwrites_an_existing_log_even_with_force(tmp_path):
    """--force lets --out replace its file; the .log beside it is a file the user never named."""
    require_programs("pdflatex")
    template = tmp_path / "broken.tex.jinja"
    template.write_text(BROKEN_TEMPLATE)
    log = tmp_path / "notes.log"
    log.write_text("the teacher's own log")
    for force in ((), ("--force",)):
        refused("render", "-t", str(template), "--out", str(tmp_path / "notes.pdf"), *force,
                says=("Undefined control sequence", "log was not kept", "notes.log' exists"))
        assert log.read_text() == "the teacher's own log" and not (tmp_path / "notes.pdf").exists()
    log.unlink()
    refused("render", "-t", str(template), "--out", str(tmp_path / "notes.pdf"), says=(f"full log: {log}",))
    assert "! Undefined control sequence." in log.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.tex.jinja", "notes.log"]


def test_a_name_near_the_length_limit_is_written(tmp_path):
    """The temporary file's name does not grow with the target's: 250 characters fit under the 255-byte limit."""
    out = tmp_path / ("n" * 246 + ".txt")
    ok("derive", "W2_1_2", "--out", str(out))
    assert out.read_text().startswith("network 3,2,2,1") and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_sheet_and_its_solutions_are_written_both_or_neither(tmp_path):
    sheet = tmp_path / "week.md"
    sheet.write_text("old sheet")
    (tmp_path / "week-solutions.md").symlink_to(sheet)  # the solutions would land on the sheet
    refused("exercise", "--out", str(sheet), "--force", says=("are the same file",))
    assert sheet.read_text() == "old sheet"
    long_name = tmp_path / ("s" * 243 + ".md")  # fits; its -solutions sibling does not
    refused("exercise", "--out", str(long_name), says=("-solutions",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["week-solutions.md", "week.md"]


def test_sigterm_during_pdf_leaves_no_temporary_folder_or_file(tmp_path):
    require_programs("pdflatex")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen([*COMMAND, "render", "--template", "slides.tex", "--out", str(out / "s.pdf")],
                               env={**os.environ, "TMPDIR": str(temporary)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(temporary.glob("symbp-latex-*/document.tex")):  # pdflatex is about to run or running
        assert process.poll() is None and time.monotonic() < deadline, "symbp ended before compiling"
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert stderr == "symbp: stopped by SIGTERM\n" and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert list(temporary.iterdir()) == [] and list(out.iterdir()) == []


def test_an_output_never_replaces_the_commands_own_input_even_with_force(tmp_path):
    answers = tmp_path / "class.csv"
    answers.write_text('student,entry,answer\nann,W2_1_2,"dC/da3"\n')
    point = tmp_path / "p.json"
    point.write_text('{"x": [1, 2], "t": 0.5, "W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0, 0], "W2": [[0.5, 0.6]], "b2": [0.1]}')
    before = answers.read_bytes(), point.read_bytes()
    graded = invoke("grade", "--answers", str(answers), "--report", str(answers), "--force")
    grad = invoke("grad", "-p", str(point), "--layers", "2,2,1", "--activation", "sigmoid",
                  "--cost", "squared_error", "--out", str(point), "--force")
    assert graded.exit_code == 2 and "is the --answers file this command reads" in graded.stderr
    assert grad.exit_code == 2 and "is the --point file this command reads" in grad.stderr
    assert (answers.read_bytes(), point.read_bytes()) == before


def test_a_closed_stderr_still_gives_the_output_and_status():
    result = run("derive", stderr=None, preexec_fn=lambda: os.close(2))
    assert result.returncode == 0 and "∂C/∂W" in result.stdout
    assert run("derive", "W9", stderr=None, preexec_fn=lambda: os.close(2)).returncode == 2


def test_main_called_from_python_returns_to_its_caller(tmp_path):
    """Only the console script skips the interpreter's finalisation; a caller of main keeps its process."""
    kept = tmp_path / "kept.txt"
    code = (f"import sys\nfrom symbp.cli import main\nf = open({str(kept)!r}, 'w'); f.write('kept')\n"
            "sys.argv = ['symbp', 'cost']\ntry:\n    main()\nexcept SystemExit as done:\n    print('exit', done.code)\n"
            "print('after')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.splitlines()[-2:] == ["exit 0", "after"], result.stdout + result.stderr
    assert kept.read_text() == "kept"
