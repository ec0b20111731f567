"""The command line explains itself: every command has help with an example; `make` lists the targets."""

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import REPO

from pipeline.cli import main


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_with_an_example(name):
    command = main.commands[name]
    assert command.help and "Example: python -m pipeline " + name in command.help
    shown = CliRunner().invoke(main, [name, "--help"])
    assert shown.exit_code == 0
    assert all(option.help for option in command.params if isinstance(option, type(command.params[0])))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_alone_lists_the_targets():
    listed = subprocess.run(["make", "-s", "-C", str(REPO)], capture_output=True, text=True, check=True).stdout
    for target in ("assess", "test", "template", "bench"):
        assert f"make {target}" in listed
