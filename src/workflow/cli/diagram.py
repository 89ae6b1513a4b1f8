"""``workflow diagram``: the lifecycle as Mermaid, Graphviz dot, SVG or PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import click


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "svg", "png"]),
    default="mermaid",
    show_default=True,
    help="Mermaid text, Graphviz dot text, or an SVG/PNG picture (needs Graphviz).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (text formats).")
def diagram(fmt: str, output: Path | None, as_json: bool) -> None:
    """Print the specialist lifecycle, generated from the state machine itself."""
    from workflow.states import diagram as lifecycle_diagram

    if fmt == "mermaid":
        data: bytes = lifecycle_diagram.mermaid().encode()
    elif fmt == "dot":
        data = lifecycle_diagram.dot().encode()
    else:
        if shutil.which("dot") is None:
            raise click.ClickException(
                "Graphviz is not installed: install it (Debian: apt-get install graphviz) "
                "or use --format mermaid"
            )
        data = subprocess.run(
            ["dot", f"-T{fmt}"], input=lifecycle_diagram.dot().encode(), capture_output=True,
            check=True,
        ).stdout  # fmt: skip
    if output:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
        if as_json:
            click.echo(json.dumps({"format": fmt, "written": str(output)}))
    elif as_json and fmt in ("mermaid", "dot"):
        click.echo(json.dumps({"format": fmt, "diagram": data.decode()}))
    elif as_json:
        raise click.UsageError(f"--json carries text: use -o FILE for {fmt}")
    elif fmt == "png":
        raise click.UsageError("a PNG needs -o FILE")
    else:
        click.echo(data.decode(), nl=False)


COMMANDS = [diagram]
