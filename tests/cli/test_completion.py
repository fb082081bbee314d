"""Shell completion, installed by Typer's own mechanism and answered by the real `pantau` in a real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is the shell these tests drive")


def _env(home: Path) -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("_PANTAU")},
        "HOME": str(home),
        "SHELL": "/bin/bash",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }


def _complete(home: Path, words: str) -> list[str]:
    """What bash offers after `words` (a trailing space: a new word), through the installed completion script."""
    new_word = ' ""' if words.endswith(" ") else ""
    script = (
        f"source {home / '.bash_completions' / 'pantau.sh'}\n"
        f"COMP_WORDS=({words}{new_word})\n"
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_pantau_completion pantau\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", script], env=_env(home), capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split()


@pytest.fixture
def home(tmp_path) -> Path:
    # Typed at a bash prompt: Typer finds the shell among the command's parents, so bash must be its parent here
    # whatever started the tests (the trailing `exit` keeps bash from replacing itself with pantau).
    installed = subprocess.run(
        ["bash", "--norc", "-c", 'pantau --install-completion; exit "$?"'],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    assert "bash completion installed in" in installed.stdout
    assert f"source '{tmp_path / '.bash_completions' / 'pantau.sh'}'" in (tmp_path / ".bashrc").read_text()
    return tmp_path


def test_commands_subcommands_and_choices_complete_in_bash(home):
    assert _complete(home, "pantau us") == ["user"]
    assert _complete(home, "pantau do") == ["doctor"]
    assert _complete(home, "pantau cache ") == ["clear", "status"]
    assert _complete(home, "pantau demo --size ") == ["S", "M", "L"]
    assert _complete(home, "pantau cache clear --section c") == ["conversation-effectiveness", "customer-load"]
