"""The web server: daphne, with an access log that names query parameters but never their values.

Run it as daphne's own command line: `python -m smi_ui.ops.webserver -b 0.0.0.0 -p 8000
--proxy-headers smi_ui.asgi:application` (the image and deploy/ do); `manage.py serve`
uses it too.
"""

from __future__ import annotations

import sys
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server

from .logging import redacting


class RedactingServer(Server):
    """daphne's server whose access log entries pass through `redacting`."""

    def __init__(self, *args: Any, action_logger: Any = None, **kwargs: Any):
        super().__init__(*args, action_logger=redacting(action_logger) if action_logger else None, **kwargs)


class WebServerCommandLine(CommandLineInterface):
    """daphne's command line, serving with `RedactingServer`."""

    server_class = RedactingServer


def main(argv: list[str] | None = None) -> None:
    WebServerCommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
