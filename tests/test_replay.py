"""Scripted conversations replayed through the real stack (REST, Rasa, the action server, the
progress store): see tests/replay.py for what is checked. Transcripts go to
test-artifacts/conversations/. The sealed ones (tests/conversations/sealed/) run only with
RUNNER_UP_REPLAY_SEALED=1, once, at the end of a piece of work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from runner_up.settings import ROOT
from tests.replay import DETAILS, conversation_files, replay

ARTIFACTS = ROOT / "test-artifacts" / "conversations"
SEALED = os.environ.get("RUNNER_UP_REPLAY_SEALED") == "1"


def test_there_are_enough_conversations_and_each_is_well_formed() -> None:
    files = conversation_files()
    ordinary = [f for f in files if yaml.safe_load(f.read_text())["ordinary"]]
    assert len(files) + len(conversation_files(sealed=True)) >= 30
    assert len(ordinary) >= 20, "at least 20 ordinary rejections"
    assert len(conversation_files(sealed=True)) == 5
    for path in files + conversation_files(sealed=True):
        script = yaml.safe_load(path.read_text())
        assert script["name"] and script["voice"] and script["turns"], path
        for turn in script["turns"]:
            assert isinstance(turn["user"], str) and turn["user"], path
            assert set(turn.get("gives") or []) <= set(DETAILS), path


def _cases(paths):
    """Each conversation; one that is known to read wrong on today's model carries its reason
    (`known_failure:` in its script) and is expected to fail until that is fixed."""
    for path in paths:
        reason = yaml.safe_load(path.read_text()).get("known_failure")
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        yield pytest.param(path, marks=marks, id=path.stem)


@pytest.mark.slow
@pytest.mark.parametrize("path", list(_cases(conversation_files())))
def test_conversation_reads_right(servers, path: Path) -> None:
    result = replay(path, servers.say, servers.database_url, ARTIFACTS)
    assert not result.problems, "\n".join(result.problems)


@pytest.mark.slow
@pytest.mark.skipif(not SEALED, reason="sealed: run once, with RUNNER_UP_REPLAY_SEALED=1")
@pytest.mark.parametrize("path", conversation_files(sealed=True), ids=lambda p: p.stem)
def test_sealed_conversation_reads_right(servers, path: Path) -> None:
    result = replay(path, servers.say, servers.database_url, ARTIFACTS / "sealed")
    assert not result.problems, "\n".join(result.problems)
