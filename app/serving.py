"""Several worker processes on one port, with connections spread over them.

uvicorn binds one socket and every worker accepts from it. A worker's event loop accepts every
connection waiting when it wakes, so the first worker to wake takes them all: 16 keep-alive
connections opened at once all went to one of two workers (counted with `ss`), and the other
stayed idle for as long as they were open. A reverse proxy keeps its connections open too.

On Linux each worker therefore binds the port itself with SO_REUSEPORT, and the kernel spreads
new connections over the workers' sockets by their addresses. uvicorn's supervisor still starts,
watches and replaces the workers: it is handed a socket whose pickled form, the form a new
worker receives, is "bind a socket of your own to this address" (`_WorkerSocket`).
"""

from __future__ import annotations

import logging
import socket
import sys
from multiprocessing.reduction import ForkingPickler

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")


def can_spread(workers: int, port: int) -> bool:
    """Whether the workers can each have a socket of their own: several of them, on Linux
    (elsewhere SO_REUSEPORT does not spread connections), on a fixed port (with port 0 each
    worker would be given a different one)."""
    return workers > 1 and sys.platform == "linux" and port != 0


def run(config: Config) -> None:
    """Serve with `config.workers` workers, each on a socket of its own. Stops with uvicorn's
    start-up failure status when the address is taken or cannot be bound."""
    listener = _WorkerSocket(config.host, config.port)
    if listener.served():
        # SO_REUSEPORT would let this start beside another instance of the app and share the
        # port with it, where uvicorn alone would have refused: refuse as it would.
        logger.error("%s:%d is already in use.", config.host, config.port)
        sys.exit(STARTUP_FAILURE)
    # Bound once here, so that an address that cannot be bound stops the start at once.
    _bind(listener.family, *listener.address).close()
    logger.info(
        "Homeward running on http://%s:%d with %d workers, each on a socket of its own",
        config.host,
        config.port,
        config.workers,
    )
    Multiprocess(config, sockets=[listener]).run()


class _WorkerSocket(socket.socket):
    """Stands for the port in the supervisor: pickled for a new worker, it becomes a new socket
    bound to the same address (see the registration below)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.address = (host, port)

    def served(self) -> bool:
        """Whether something already accepts connections at the address."""
        with socket.socket(self.family, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            return probe.connect_ex(self.address) == 0


def _bind(family: int, host: str, port: int) -> socket.socket:
    """A socket bound to the address beside the other workers' (asyncio's server listens on
    it); a worker that cannot bind it stops as uvicorn's own workers do."""
    # IPPROTO_TCP: asyncio turns Nagle's algorithm off only on sockets that say they are TCP
    # (see tests/test_cli.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        logger.error(error)
        sys.exit(STARTUP_FAILURE)
    return sock


ForkingPickler.register(_WorkerSocket, lambda sock: (_bind, (int(sock.family), *sock.address)))
