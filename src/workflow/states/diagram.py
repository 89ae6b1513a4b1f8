"""Diagrams of the lifecycle, generated from the machine definition (never drawn by hand)."""

from __future__ import annotations

from workflow.states.guards import GUARD_LABELS
from workflow.states.lifecycle import State, machine


def edges() -> list[tuple[str, str, str]]:
    """``(source, dest, label)`` for every transition the machine knows."""
    result = []
    for trigger, event in machine().events.items():
        for source_name, transitions in event.transitions.items():
            for transition in transitions:
                label = trigger
                if trigger in GUARD_LABELS:
                    label += f" [{GUARD_LABELS[trigger]}]"
                elif trigger == "resume":
                    label += " [back to the state left]"
                result.append((State[source_name].value, State[transition.dest].value, label))
    return result


def mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {State.NOMINATED.value}"]
    lines += [f"    {src} --> {dest}: {label}" for src, dest, label in edges()]
    lines += [f"    {s.value} --> [*]" for s in (State.NOT_SELECTED, State.WITHDRAWN)]
    return "\n".join(lines) + "\n"


def dot() -> str:
    lines = ["digraph lifecycle {", "    rankdir=LR;", '    node [shape=box, style="rounded"];']
    lines += [f'    {src} -> {dest} [label="{label}"];' for src, dest, label in edges()]
    lines.append("}")
    return "\n".join(lines) + "\n"
