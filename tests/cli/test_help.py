"""Every command that reads a config says in its `-h` how to override keys (`key=value` / `--key value`), with
an example of its own, from one shared text."""
from __future__ import annotations

import pytest

from tuneforge.cli.main import main
from tuneforge.cli.overrides import EXAMPLES


def _help(command: str, capsys) -> str:
    try:
        code = main([command, "-h"])
    except SystemExit as exit_:  # argparse's own -h
        code = exit_.code
    assert code == 0
    return capsys.readouterr().out


def test_chat_help_shows_how_to_override_generation_keys(capsys):
    assert """overrides:
  After the config file or folder, any config key as key=value or --key value (LLaMA-Factory's
  names, --flag alone means true); these win over the file's or the run folder's values, e.g.
    tuneforge chat saves/run1 temperature=0 max_new_tokens=64
  Every key, with its default, is listed by `tuneforge train -h`.""" in _help("chat", capsys)


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_config_command_help_has_the_overrides_paragraph(command, capsys):
    text = _help(command, capsys)
    assert "any config key as key=value or --key value" in text
    assert f"    tuneforge {command} {EXAMPLES[command]}\n" in text


def test_the_commands_with_overrides_are_the_ones_that_read_a_config():
    from tuneforge.cli.main import COMMANDS

    without = {"webui", "webchat", "make-tiny-model", "expand-blocks", "templates", "demo", "env", "version"}
    assert set(EXAMPLES) == set(COMMANDS) - without
