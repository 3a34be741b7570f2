"""Reading a password without it showing up anywhere: hidden prompts or standard input."""

from __future__ import annotations

import sys

import click


def password_from_stdin() -> str:
    """The whole of standard input, less a final line break (``echo`` adds one)."""
    password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not password:
        raise click.UsageError("--password-stdin: standard input is empty")
    return password


def prompt_password(prompt: str = "Password") -> str:
    return click.prompt(prompt, hide_input=True)


def prompt_new_password(prompt: str = "Password") -> str:
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


__all__ = ["password_from_stdin", "prompt_new_password", "prompt_password"]
