"""The diagram comes from the machine: every declared transition appears, nothing else."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from workflow.cli.main import cli
from workflow.states.diagram import dot, mermaid
from workflow.states.lifecycle import TRANSITIONS


def declared_edges() -> set[tuple[str, str]]:
    edges = set()
    for t in TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        edges |= {(s.value, t["dest"].value) for s in sources}
    return edges


def test_mermaid_has_exactly_the_declared_transitions():
    text = mermaid()
    drawn = {
        tuple(line.split(":")[0].strip().split(" --> "))
        for line in text.splitlines()[1:]
        if "-->" in line and "[*]" not in line
    }
    assert drawn == declared_edges()
    assert text.startswith("stateDiagram-v2\n")


def test_dot_has_every_transition():
    text = dot()
    for source, dest in declared_edges():
        assert f"{source} -> {dest}" in text


def test_diagram_command_prints_mermaid():
    result = CliRunner().invoke(cli, ["diagram"])
    assert result.exit_code == 0
    assert result.output == mermaid()


def test_svg_needs_graphviz(tmp_path):
    out = tmp_path / "lifecycle.svg"
    result = CliRunner().invoke(cli, ["diagram", "--format", "svg", "-o", str(out)])
    if shutil.which("dot"):
        assert result.exit_code == 0
        assert "<svg" in out.read_text()
    else:
        assert result.exit_code == 1
        assert "apt-get install graphviz" in result.output
