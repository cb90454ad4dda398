"""Dialogue scripts: the YAML format (model.py), checking with file:line:column (check.py),
conditions (conditions.py) and filling placeholders (render.py)."""

from ivr.script.check import (
    Problem,
    check_file,
    check_text,
    load_script,
    load_script_text,
    yes_no_questions,
)
from ivr.script.model import OUTCOMES, Script, Step

__all__ = [
    "OUTCOMES",
    "Problem",
    "Script",
    "Step",
    "check_file",
    "check_text",
    "load_script",
    "load_script_text",
    "yes_no_questions",
]
