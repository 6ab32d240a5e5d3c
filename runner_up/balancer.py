"""A round-robin TCP load balancer, for running several replicas on one machine without nginx.

Each new connection goes to the next backend that accepts it (a backend that refuses is skipped
for that connection, as a load balancer's health check would), and bytes are copied both ways
until either side closes. It balances connections, not requests: a client that keeps one
connection alive stays on one backend, which is what sticky sessions need anyway. In production,
use your load balancer (deploy/nginx.conf in the example); this one serves `runner-up scale`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from typing import List, Optional, Sequence, Tuple

logger = logging.getLogger(__name__)

Address = Tuple[str, int]


class Balancer:
    """Listens on (host, port) and spreads connections over `backends` in turn."""

    def __init__(self, backends: Sequence[Address], host: str = "127.0.0.1", port: int = 0) -> None:
        if not backends:
            raise ValueError("a balancer needs at least one backend")
        self.backends: List[Address] = list(backends)
        self.host, self.port = host, port
        self.connections = [0] * len(self.backends)  # per backend, for the report
        self._turn = itertools.cycle(range(len(self.backends)))
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[asyncio.base_events.Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _open_backend(self) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        last_error: Optional[OSError] = None
        for _ in range(len(self.backends)):
            index = next(self._turn)
            try:
                streams = await asyncio.open_connection(*self.backends[index])
            except OSError as error:
                last_error = error
                continue
            self.connections[index] += 1
            return streams
        raise ConnectionError(f"no backend accepted the connection: {last_error}")

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await self._open_backend()
        except ConnectionError as error:
            logger.warning("%s", error)
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer))

    def start(self) -> "Balancer":
        """Serves in a background thread; returns once it listens (self.port is then set)."""
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self.port))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="balancer", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the balancer did not start listening")
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copies until end of stream (or a reset), then closes the writing side."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
