"""The action server: rasa-sdk's app with our actions (actions/), on loopback, behind a shared secret.

    python -m runner_up.action_server --port 5055     (what `runner-up run` and `serve actions` start)

rasa-sdk's own `rasa run actions` listens on every interface (SANIC_HOST, default 0.0.0.0) with no
check at all, so anyone on the network could post a forged tracker to /webhook and run "export my
data" or "delete my data" for anyone. Here:

- it listens on 127.0.0.1 unless ACTION_HOST names another address (a container, where Rasa
  reaches it through the network: `0.0.0.0` there);
- every request but `GET /health` must carry `X-Runner-Up-Action-Secret: $RUNNER_UP_ACTION_SECRET`
  (Rasa sends it: `action_endpoint.headers` in the endpoints `runner-up` writes), compared in
  constant time; others get 401. Without the variable the server does not start;
- no CORS headers (rasa-sdk allows every origin by default): no web page has business here.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Optional, Sequence, Text

from runner_up import tokens

HOST_ENV = "ACTION_HOST"
DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def create_app(secret: Text) -> object:
    """rasa-sdk's app for the `actions` package, refusing requests without `secret`."""
    from rasa_sdk.endpoint import create_app as sdk_app
    from sanic import response
    from sanic.request import Request
    from sanic.response import HTTPResponse

    app = sdk_app("actions", cors_origins=None)

    @app.on_request
    async def require_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if tokens.matches(request.headers.get(tokens.ACTION_SECRET_HEADER), secret):
            return None
        return response.json({"error": f"The action server answers only Rasa: "
                                       f"{tokens.ACTION_SECRET_HEADER} is missing or wrong."}, status=401)

    return app


def main(argv: Optional[Sequence[Text]] = None) -> int:
    """Runs the action server in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m runner_up.action_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", "5055")))
    args = parser.parse_args(argv)
    secret = os.environ.get(tokens.ACTION_SECRET, "")
    trouble = tokens.problem(tokens.ACTION_SECRET, secret)
    if trouble:
        print(f"error: the action server does not start: {trouble}", file=sys.stderr)
        return 2
    from rasa_sdk import utils

    utils.configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    utils.update_sanic_log_level()
    host = os.environ.get(HOST_ENV) or DEFAULT_HOST
    app = create_app(secret)
    logger.info("action server on http://%s:%s (requests need %s)", host, args.port,
                tokens.ACTION_SECRET_HEADER)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
