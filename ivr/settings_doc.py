"""The settings reference (docs/configuration.md), generated from ivr/config.py itself.

Each setting's line comment is its description and the comment above a group names the group,
so the reference cannot drift from the code (a test compares the two).
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from ivr import config

HEADER = """\
# Configuration

Every setting of ivr, generated from `ivr/config.py` (`ivr config doc > docs/configuration.md`).

Sources, later ones winning: the defaults below; a TOML file (`--config FILE`, else `ivr.toml`
in the working folder, else `~/.config/ivr/ivr.toml`); environment variables `IVR_<SETTING>`.
A TOML section flattens into the names: `[ami] port = 5038` is `ami_port`, or `IVR_AMI_PORT`.
`ivr config show` prints the settings in effect (secrets hidden).

Not a setting, but read from the environment too: `OMP_NUM_THREADS` and
`OPENBLAS_NUM_THREADS`, which ivr sets to 1 when they are unset (the numerical libraries'
own thread pools spin while they wait; recognition's parallelism is `asr_workers` ×
`asr_cpu_threads`). See docs/decisions.md.
"""


TABLE_HEAD = "| setting | type | default | what |"
TABLE_RULE = "| --- | --- | --- | --- |"


def markdown() -> str:
    source = Path(config.__file__).read_text(encoding="utf-8")
    comments = _line_comments(source)
    tree = ast.parse(source)
    settings = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Settings"
    )
    lines = [HEADER]
    previous_end = settings.body[0].end_lineno or 0
    for node in settings.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            previous_end = node.end_lineno or previous_end
            continue
        name = node.target.id
        above = comments.get(node.lineno - 1, "")
        own_note = above.startswith(f"{name}: ")  # a note too long for the line goes above it
        group = [comments[n] for n in range(previous_end + 1, node.lineno - own_note)
                 if n in comments]  # fmt: skip
        if group:
            title = group[-1][0].upper() + group[-1][1:]
            lines += ["", f"## {title}", "", TABLE_HEAD, TABLE_RULE]
        kind = (ast.get_source_segment(source, node.annotation) or "").replace("|", "\\|")
        default = _default(name)
        note = comments.get(node.lineno, "") or comments.get(node.end_lineno or 0, "")
        if own_note:
            note = above.removeprefix(f"{name}: ")
        lines.append(f"| `{name}` | `{kind}` | {default} | {note} |")
        previous_end = node.end_lineno or node.lineno
    return "\n".join(lines) + "\n"


def _default(name: str) -> str:
    field = config.Settings.model_fields[name]
    if field.default_factory is not None:
        value = field.get_default(call_default_factory=True)
        # a list is the same everywhere; folders depend on the machine and the user
        return f"`{value}`" if isinstance(value, list) else "(computed)"
    value = field.default
    return "—" if value is None or value == "" else f"`{value}`"


def _line_comments(source: str) -> dict[int, str]:
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            text = token.string.lstrip("#").strip()
            if not text.startswith(("noqa", "type:", "fmt:")):
                found[token.start[0]] = text.replace("|", "\\|")
    return found
