"""What a screen hands the page that holds it: its tab, who may see it, and how to bring it up to date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from assistant.api.auth import Role


@dataclass
class Refresh:
    """An update the page runs when it loads and when someone signs in (example questions, document list)."""

    fn: Callable[..., Any]
    inputs: Sequence[gr.components.Component]
    outputs: Sequence[gr.components.Component]


@dataclass
class Screen:
    tab: gr.Tab
    role: Role  # the least role that may use it
    refreshes: list[Refresh] = field(default_factory=list)
