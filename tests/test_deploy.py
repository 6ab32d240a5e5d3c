"""The deployment's files (deploy/, .dockerignore): secrets only from the environment, nothing of
this machine in the image, and nginx, run for real in front of the real Rasa server, letting
through only the channels (/webhooks/, /socket.io/) over TLS, never Rasa's HTTP API."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
import urllib3
import yaml

from runner_up.runner import free_port
from runner_up.settings import ROOT
from tests.launch import api_headers, rest_headers

DEPLOY = ROOT / "deploy"
SECRETS = ["POSTGRES_PASSWORD", "RASA_TOKEN", "RUNNER_UP_WEBCHAT_SECRET", "RUNNER_UP_ACTION_SECRET"]
OPTIONAL_SECRETS = ["RUNNER_UP_REST_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def compose() -> Dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def environments() -> List[Dict[str, str]]:
    services = compose()["services"]
    return [dict(service.get("environment") or {}) for service in services.values()]


def test_compose_takes_every_secret_from_the_environment_and_stops_without_it() -> None:
    text = (DEPLOY / "compose.yml").read_text()
    for name in SECRETS:
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", text), f"{name} is not required as ${{{name}:?...}}"
    for name in OPTIONAL_SECRETS:
        assert "${" + name + ":-}" in text
    for service, env in zip(compose()["services"], environments()):
        for key, value in env.items():
            if any(word in key for word in ("TOKEN", "SECRET", "PASSWORD", "DATABASE_URL", "STORE_URL")):
                assert "${" in str(value), f"{service}: {key} is written in the file"
    rasa = compose()["services"]["rasa"]["environment"]
    assert all(name in rasa for name in ("RASA_TOKEN", "RUNNER_UP_WEBCHAT_SECRET", "RUNNER_UP_ACTION_SECRET"))


def test_no_placeholder_secret_is_left_in_deploy() -> None:
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            lines = [line for line in path.read_text(errors="replace").splitlines()
                     if not line.lstrip().startswith("#")]
            assert not any("change-me" in line for line in lines), path
    settings = (DEPLOY / "runner-up.env").read_text()
    for name in SECRETS + OPTIONAL_SECRETS + ["DATABASE_URL", "TRACKER_STORE_URL"]:
        assert not re.search(rf"^\s*{name}=", settings, re.M), f"{name} in runner-up.env"


def test_only_nginx_is_published_and_only_on_80_and_443() -> None:
    published = {name: service.get("ports") for name, service in compose()["services"].items() if service.get("ports")}
    assert published == {"nginx": ["80:80", "443:443"]}


def test_the_image_gets_nothing_of_this_machine() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {"var/", ".venv/", ".git/", "models/", "web/node_modules/", "deploy/tls/", ".rasa/"} <= ignored
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "USER nobody" in dockerfile and not re.search(r"(TOKEN|SECRET|PASSWORD)=", dockerfile)


# --- nginx for real ---


@pytest.fixture(scope="module")
def nginx(servers: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, str]]:
    """deploy/nginx.conf as it is, but for its host names and ports (compose's, here the test
    servers' and free ones) and a throwaway certificate."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    work = tmp_path_factory.mktemp("nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(work / "privkey.pem"), "-out", str(work / "fullchain.pem")],
                   check=True, capture_output=True)
    ports = {"http": free_port(), "https": free_port(), "api": free_port(), "actions": free_port()}
    rasa = servers.rasa_url.removeprefix("http://")
    actions = servers.action_url.removeprefix("http://")
    conf = (DEPLOY / "nginx.conf").read_text()
    for old, new in [("server rasa:5005;", f"server {rasa};"), ("server actions:5055;", f"server {actions};"),
                     ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;"),
                     ("listen 5005;", f"listen 127.0.0.1:{ports['api']};"),
                     ("listen 5055;", f"listen 127.0.0.1:{ports['actions']};"),
                     ("/etc/nginx/tls/", f"{work}/"), ("events {}", f"pid {work}/nginx.pid;\nevents {{}}")]:
        assert old in conf, old
        conf = conf.replace(old, new)
    (work / "nginx.conf").write_text(conf)
    base = [NGINX, "-p", str(work), "-e", str(work / "error.log"), "-c", str(work / "nginx.conf")]
    checked = subprocess.run(base + ["-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(base + ["-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"http://127.0.0.1:{ports['http']}/", timeout=2, allow_redirects=False)
            break
        except requests.ConnectionError:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.1)
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        yield {name: f"http{'s' if name == 'https' else ''}://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_outside_nginx_lets_through_only_the_channels_over_tls(nginx: Dict[str, str]) -> None:
    public = nginx["https"]
    get = lambda path, **kw: requests.get(public + path, verify=False, timeout=60, allow_redirects=False, **kw)  # noqa: E731
    # Rasa's HTTP API does not exist from outside, whatever the token or the spelling.
    for path in ["/status", "/version", "/model", "/conversations/rest%3Ax/tracker", "/domain",
                 "/status?token=x", "//status", "/webhooks/../status", "/webhooks/%2e%2e/status", "/socket.io/../status"]:
        answer = get(path, headers=api_headers())
        assert answer.status_code in (404, 400) or (answer.status_code == 401 and "NotAuthenticated" in answer.text), \
            (path, answer.status_code, answer.text[:200])
        assert "model_file" not in answer.text and "events" not in answer.text, path
    for method in ("PUT", "DELETE"):
        assert requests.request(method, public + "/model", headers=api_headers(), verify=False,
                                timeout=60).status_code == 404
    # The channels do, each behind its own check.
    assert get("/webhooks/socketio/chat/").status_code == 200
    assert get("/socket.io/?EIO=4&transport=polling").status_code == 200
    rest = requests.post(public + "/webhooks/rest/webhook", json={"sender": "via-nginx", "message": "hello"},
                         headers=rest_headers(), verify=False, timeout=60)
    assert rest.status_code == 200 and rest.json()
    assert requests.post(public + "/webhooks/rest/webhook", json={"sender": "x", "message": "hi"},
                         verify=False, timeout=60).status_code == 401
    assert get("/").headers["Location"].endswith("/webhooks/socketio/chat/")
    # A page of another origin cannot open the chat's socket through it either.
    assert get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "https://evil.example"}).status_code == 400
    # Plain HTTP only redirects to HTTPS.
    plain = requests.get(nginx["http"] + "/status", allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert "max-age" in get("/webhooks/socketio/chat/").headers["Strict-Transport-Security"]


@pytest.mark.slow
def test_inside_the_check_in_workers_reach_the_api_with_the_token_only(nginx: Dict[str, str]) -> None:
    assert requests.get(nginx["api"] + "/status", timeout=60).status_code == 401
    assert requests.get(nginx["api"] + "/status", headers=api_headers(), timeout=60).status_code == 200
    assert requests.post(nginx["actions"] + "/webhook", json={}, timeout=60).status_code == 401
