"""Rotate our LTI keys: `--rotate` publishes a successor; every run advances the rotation
(a successor published long enough starts signing; expired retired keys are removed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lti.keys import tool_key_rotate, tool_key_signing, tool_keys_advance


class Command(BaseCommand):
    help = "Publish a successor LTI key (--rotate) and advance the key rotation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rotate", action="store_true", help="publish a successor key")

    def handle(self, *args: Any, **options: Any) -> None:
        tool_key_signing()
        if options["rotate"]:
            key = tool_key_rotate()
            self.stdout.write(f"successor key {key.kid} published")
        step = tool_keys_advance()
        if step.activated:
            self.stdout.write(f"key {step.activated} signs now; {step.retired} retired")
        for kid in step.removed:
            self.stdout.write(f"retired key {kid} removed")
