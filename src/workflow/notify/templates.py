"""The email templates, by name, with who receives each: derived from the registry.

Each name has ``templates/NAME.txt`` (with the subject) and ``templates/NAME.html``; the
declarations are in ``notifications.py``. ``EVENT_TEMPLATES`` carry an .ics attachment.
"""

from __future__ import annotations

from workflow.notify.notifications import REGISTRY

TEMPLATES: dict[str, str] = {name: note.description for name, note in REGISTRY.items()}

EVENT_TEMPLATES: frozenset[str] = frozenset(name for name, note in REGISTRY.items() if note.ics)
