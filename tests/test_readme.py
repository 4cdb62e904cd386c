"""Keep the README true: CI runs its test command, every command output it shows is reproduced here,
and every benchmark table it shows is a copy of the committed results file it cites.

Command outputs are the README's fenced ``text`` blocks whose first line is ``$ COMMAND``. Each is run
(``gradtrio`` and ``python`` being this interpreter's), in one scratch folder shared by the blocks in
README order (``gradtrio predict gradtrio-out/weights.npz`` uses the weights the ``gradtrio train``
block wrote), with stdout and stderr interleaved as they come, CI=true and no terminal, and compared
with the block after masking what depends on the moment or the machine (:func:`mask`): timings,
rates, absolute folders, rounding-level numbers (|x| < 1e-12 in scientific notation) and the lines
the README itself calls machine-dependent. ``$ python example.py`` runs the ``python`` block just
above it. The mutant catalog's table is compared with ``gradtrio mutants``.

When an output changes on purpose, regenerate the README's blocks from fresh runs and review the diff::

    .venv/bin/python tests/test_readme.py --write && git diff README.md
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TIMEOUT_S = 600
#: The scratch folder as the README shows it.
SHOWN_DIR = "/tmp/demo"

#: ``# SIGINT sent after N s`` at the end of a command: the block shows a Ctrl-C, N seconds after the
#: first progress line.
SIGINT_NOTE = re.compile(r"\s+# SIGINT sent after ([0-9.]+) s$")

#: The step-size study's float32 complex-step row: its best step and error depend on the machine's
#: complex64 arithmetic (the README says so); only its presence is compared.
MACHINE_DEPENDENT = re.compile(r"^(float32  complex) .*$", re.M)


def _code_blocks(lang):
    text = README.read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _ci_command() -> str:
    ci_lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines()
                if ln and not ln.startswith(("#", "set ", "cd ", "export "))]
    assert len(ci_lines) == 1, ci_lines
    return ci_lines[0]


def test_ci_runs_the_readme_test_command():
    readme_commands = [ln for block in _code_blocks("sh") for ln in block.splitlines()]
    assert _ci_command() in readme_commands, "the README's test command and .ci/run differ"


def test_the_test_command_runs_across_cores_with_the_plugin_it_installs():
    """``-n``/``--dist`` are pytest-xdist's options: the extra that the command installs must bring it."""
    command = _ci_command()
    assert "'.[test," in command and " -n " in command and "--dist loadgroup" in command, command
    extra = re.search(r"^test = \[(.*?)\]", (ROOT / "pyproject.toml").read_text(), flags=re.M | re.S)
    assert extra and '"pytest-xdist' in extra.group(1), "pyproject.toml's test extra lacks pytest-xdist"


def test_readme_usage_example_runs(capsys):
    (example,) = [b for b in _code_blocks("python") if "check_gradients" in b]
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "autodiff" in out and "Theta(1)" in out


# --- command outputs -----------------------------------------------------------------------------

def mask(text: str) -> str:
    """What two runs of the same command on different moments and machines share."""
    text = re.sub(r"(?<![\w.])/(?:[\w.+-]+/)*?(?=(?:gradtrio-out|ctrlc)/)", "<dir>/", text)
    text = re.sub(r"\b\d+(\.\d+)? s\b", "<t> s", text)  # timings: 0.102 s, 8.5 s
    text = re.sub(r"\b(\d\d:)?\d\d:\d\d (elapsed|left)\b", r"<t> \2", text)  # tqdm's clock
    text = re.sub(r"\? left", "<t> left", text)
    text = re.sub(r" *(\?|[0-9.]+)(it|method|check)/s\b| *[0-9.]+s/(it|method|check)\b", " <rate>", text)
    text = re.sub(r"\b\d\.\d+e-(1[4-9]|[2-9]\d)\b", "~0", text)  # rounding level: machine-dependent
    # A gradient report's row: its differences, ratios and resolution are samples of rounding (and
    # of a measured noise) that differ between CPUs and BLAS; the pair, the layer and the verdict do not.
    text = re.sub(r"^(\S+ vs \S+ +(?:Theta\(\d+\)|all)) .*? (ok|FAIL|INCONCLUSIVE)$", r"\1  <numbers>  \2", text,
                  flags=re.M)
    text = re.sub(r"\(tolerance [0-9.e+-]+; [0-9.]+ digits agree\)", "(tolerance <t>; <n> digits agree)", text)
    text = re.sub(r"max relative gap [0-9.e+-]+", "max relative gap <gap>", text)
    text = MACHINE_DEPENDENT.sub(r"\1  <machine-dependent>", text)
    return text


def _mask_interrupted(text: str) -> str:
    """A Ctrl-C lands after a varying number of iterations: mask them, and the lines that vary with them."""
    text = re.sub(r"iteration (?!0/)\d+/", "iteration <n>/", text)
    text = re.sub(r"after \d+ iterations", "after <n> iterations", text)
    text = re.sub(r"cost \d+\.\d+", "cost <J>", text)
    lines = text.splitlines()
    return "\n".join(ln for i, ln in enumerate(lines) if i == 0 or ln != lines[i - 1]) + "\n"


def command_blocks(text: str | None = None) -> list[tuple[int, str, str]]:
    """``(offset, command, shown output)`` of each ``text`` block that starts with ``$ ``; ``offset``
    is where the output starts in ``text``."""
    text = README.read_text() if text is None else text
    out = []
    for m in re.finditer(r"```text\n\$ ([^\n]*)\n(.*?)```", text, flags=re.S):
        out.append((m.start(2), m.group(1), m.group(2)))
    return out


def _python_block_before(text: str, offset: int) -> str:
    blocks = [m for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S) if m.end() <= offset]
    assert blocks, "'$ python example.py' needs a python block above it"
    return blocks[-1].group(1)


def _shims(bindir: Path) -> None:
    """``gradtrio`` and ``python`` as this interpreter runs them (the README's commands use both)."""
    (bindir / "gradtrio").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gradtrio "$@"\n')
    (bindir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    for name in ("gradtrio", "python"):
        (bindir / name).chmod(0o755)


def run_shown(command: str, cwd: Path, text: str, offset: int) -> str:
    """Run a README command as the README shows it; its stdout and stderr interleaved."""
    bindir = cwd / ".bin"
    bindir.mkdir(exist_ok=True)
    _shims(bindir)
    path = f"{bindir}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "CI": "true", "MPLBACKEND": "Agg", "PATH": path}
    note = SIGINT_NOTE.search(command)
    command = SIGINT_NOTE.sub("", command)
    if command.startswith("python example.py"):
        (cwd / "example.py").write_text(_python_block_before(text, offset))
    for word in shlex.split(command):  # folders an --out FILE of the command needs
        if word.startswith("docs/"):
            (cwd / os.path.dirname(word)).mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if note:
            header = proc.stdout.readline()
            first = proc.stdout.readline()  # the first progress line: training has started
            time.sleep(float(note.group(1)))
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=TIMEOUT_S)
            out = header + first + rest
            assert proc.returncode == 130, out
        else:
            out, _ = proc.communicate(timeout=TIMEOUT_S)
            assert proc.returncode == 0, out
    finally:
        proc.kill()
    return out.replace(str(cwd), SHOWN_DIR)


def _diff(shown: str, got: str) -> str:
    lines = shown.splitlines(True), got.splitlines(True)
    return "".join(difflib.unified_diff(*lines, "README.md", "fresh run"))


#: The tests that share the fixture below run on one pytest-xdist worker under ``--dist loadgroup``
#: (.ci/run), so that every README command behind ``fresh_outputs`` runs once, not once a worker.
SHARES_FRESH_OUTPUTS = pytest.mark.xdist_group("test_readme.fresh_outputs")


@pytest.fixture(scope="module")
def fresh_outputs():
    """Every README command run once, in README order, in one scratch folder."""
    text = README.read_text()
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d).resolve()
        yield {cmd: run_shown(cmd, cwd, text, offset) for offset, cmd, _ in command_blocks(text)}


def test_the_readme_shows_command_outputs():
    commands = [cmd for _, cmd, _ in command_blocks()]
    for expected in ("gradtrio train", "gradtrio predict", "check_gradients", "gradtrio.stepsize",
                     "python example.py", "SIGINT"):
        assert any(expected in c for c in commands), expected


@SHARES_FRESH_OUTPUTS
@pytest.mark.parametrize("command", [cmd for _, cmd, _ in command_blocks()])
def test_every_command_output_in_the_readme_is_what_the_command_prints(command, fresh_outputs):
    (shown,) = [out for _, cmd, out in command_blocks() if cmd == command]
    got = fresh_outputs[command]
    fix = _mask_interrupted if SIGINT_NOTE.search(command) else (lambda t: t)
    assert fix(mask(got)) == fix(mask(shown)), (
        f"README output of `{command}` is stale (masked diff below); regenerate with "
        f"`python tests/test_readme.py --write`:\n{_diff(fix(mask(shown)), fix(mask(got)))}")


def _mutant_table(text: str) -> str:
    m = re.search(r"^\| mutant \| kind \| shows only with \|.*?(?=\n\n|\n$)", text, flags=re.M | re.S)
    assert m, "no mutant table"
    return m.group(0).strip() + "\n"


def _run_mutants() -> str:
    r = subprocess.run([sys.executable, "-m", "gradtrio", "mutants"], capture_output=True, text=True,
                       timeout=TIMEOUT_S, env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_the_mutant_table_is_what_gradtrio_mutants_prints():
    shown = _mutant_table(README.read_text())
    got = _mutant_table(_run_mutants())
    assert got == shown, f"regenerate with `python tests/test_readme.py --write`:\n{_diff(shown, got)}"


# --- benchmark tables ------------------------------------------------------------------------------

RESULTS_FILE = re.compile(r"benchmarks/results/[\w./-]+\.md")


def _tables(text: str):
    """``(rows, text before the table since the previous table or heading)`` of each Markdown table."""
    lines = text.splitlines()
    i, start, out = 0, 0, []
    while i < len(lines):
        if lines[i].startswith("#"):
            start = i
        if lines[i].startswith("|"):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            out.append((lines[i:j], "\n".join(lines[start:i])))
            start = i = j
            continue
        i += 1
    return out


def _benchmark_tables():
    text = README.read_text()
    after = text.index("\n## Benchmarks")
    checkers = text.index("### Measured against torch and JAX")
    return [(rows, before) for rows, before in _tables(text[checkers:after]) + _tables(text[after:])
            if not rows[0].startswith("| mutant | kind | shows only with")]


def test_every_benchmark_table_cites_the_committed_results_file_it_copies():
    tables = _benchmark_tables()
    assert len(tables) >= 8
    for rows, before in tables:
        head = [c.strip() for c in rows[0].strip("|").split("|")]
        cited = RESULTS_FILE.findall(before)
        if "from" in head:  # each row names its own file
            k = head.index("from")
            for row in rows[2:]:
                cells = [c.strip() for c in row.strip("|").split("|")]
                source = ROOT / "benchmarks" / "results" / cells[k].strip("`")
                bare = "| " + " | ".join(cells[:k] + cells[k + 1:]) + " |"
                assert source.is_file(), (row, source)
                assert bare in source.read_text(), f"{row}\nis not in {source}"
            continue
        assert cited, f"the table starting\n{rows[0]}\ncites no benchmarks/results/... file"
        sources = [(ROOT / c).read_text() for c in cited]
        for row in rows[2:]:
            assert any(row in s for s in sources), f"{row}\nis in none of {cited}"


def test_no_tracker_words():
    text = README.read_text()
    for words in ("as the issue asks", "issue 2", "the issue's", "issues 2"):
        assert words not in text.lower(), words


# --- regenerating ----------------------------------------------------------------------------------

def write() -> None:
    """Rewrite the README's command outputs and mutant table from fresh runs."""
    text = README.read_text()
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d).resolve()
        new, last = [], 0
        for offset, cmd, shown in command_blocks(text):
            print(f"running: {cmd}", file=sys.stderr)
            got = run_shown(cmd, cwd, text, offset)
            new += [text[last:offset], got]
            last = offset + len(shown)
        text = "".join(new) + text[last:]
    print("running: gradtrio mutants", file=sys.stderr)
    text = text.replace(_mutant_table(text), _mutant_table(_run_mutants()))
    README.write_text(text)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_readme.py --write   (then review: git diff README.md)")
    write()
