"""Beyond one machine, on this one: 2 Rasa servers, 2 action servers behind a balancer, 2 check-in
workers, PostgreSQL and Redis; 50 conversations x 20 turns at once (runner_up/scale.py, which is
also `runner-up scale`). The figures are printed (pytest -s shows them; test-artifacts/ keeps them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner_up.scale import passed, report, run
from runner_up.settings import ROOT
from tests.store_fixtures import POSTGRES


@pytest.mark.slow
def test_fifty_conversations_across_two_of_everything(trained_model: Path, tmp_path: Path) -> None:
    POSTGRES.require()
    figures = run(trained_model, tmp_path, conversations=50, turns=20)
    text = report(figures)
    print("\n" + text)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "scale.txt").write_text(text + "\n\n" + json.dumps(figures, indent=2, default=str))
    assert figures["errors"] == [], "every turn answered"
    assert figures["leaks"] == {} and figures["own_state_missing"] == {}, "each conversation its own state"
    assert figures["stored"]["problems"] == [], "every step persisted"
    assert figures["checkins"]["sent"] == figures["checkins"]["total"] == 50
    assert len(figures["checkins"]["per_worker"]) == 2, "both check-in workers took a share"
    assert figures["stored"]["checkins_said_once"] == 50
    assert figures["socketio_across_replicas"]["arrived"], "a message reaches the other replica's browser"
    assert sum(figures["per_rasa_server"]) == 1000 and min(figures["per_action_server"]) > 0
    assert passed(figures)


def test_the_balancer_takes_turns_and_skips_a_backend_that_is_down() -> None:
    import http.server
    import threading
    import urllib.request

    from runner_up.balancer import Balancer
    from runner_up.runner import free_port

    def backend(name: str) -> http.server.HTTPServer:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(name.encode())

            def log_message(self, *args) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    a, b = backend("a"), backend("b")
    dead = ("127.0.0.1", free_port())
    balancer = Balancer([("127.0.0.1", a.server_port), dead, ("127.0.0.1", b.server_port)]).start()
    try:
        seen = [urllib.request.urlopen(balancer.url, timeout=5).read().decode() for _ in range(6)]
    finally:
        balancer.stop()
        a.shutdown()
        b.shutdown()
    assert sorted(seen) == ["a", "a", "a", "b", "b", "b"], seen
    assert balancer.connections[1] == 0


def test_each_conversation_has_its_own_made_up_company_and_a_full_script() -> None:
    from runner_up.scale import FORM_QUESTIONS, LAST, Conversation, company_name, leaks

    names = [company_name(i) for i in range(100)]
    assert len(set(names)) == 100
    conversation = Conversation(0, "someone", names[0])
    for turn in range(20):
        message = conversation.next_message(20)
        conversation.sent.append(message)
        asked = FORM_QUESTIONS["utter_ask_company"][0] if turn == 1 else "ok"
        conversation.replies.append([asked])
    assert conversation.sent[2] == names[0], "the company is given when the form asks for it"
    assert conversation.sent[-1] == LAST and len(conversation.sent) == 20
    conversation.replies.append([f"Your draft for {names[1]}"])
    assert leaks(conversation, names) == [names[1]]
