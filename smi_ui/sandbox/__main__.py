"""`python -m smi_ui.sandbox --port 6443 --layout osm [--demo] [--tls] [--kubeconfig PATH] [MANIFEST ...]`."""

from __future__ import annotations

import argparse

from .cli import add_arguments, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m smi_ui.sandbox", description="Serve a sandbox Kubernetes API.")
    add_arguments(parser)
    serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
