"""Keep the README true: CI runs its test command, and its usage example runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_blocks(lang):
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    ci_lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith(("#", "set ", "cd ", "export "))]
    assert len(ci_lines) == 1, ci_lines
    readme_commands = [ln for block in _code_blocks("sh") for ln in block.splitlines()]
    assert ci_lines[0] in readme_commands, "the README's test command and .ci/run differ"


def test_readme_usage_example_runs(capsys):
    (example,) = [b for b in _code_blocks("python") if "check_gradients" in b]
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "autodiff" in out and "Theta(1)" in out
