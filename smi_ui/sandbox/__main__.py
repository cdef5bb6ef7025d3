"""`python -m smi_ui.sandbox --port 6443 --layout osm [--demo] [--tls] [--kubeconfig PATH] [MANIFEST ...]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from smi_ui.smi.layouts import DEFAULT_LAYOUT, LAYOUTS

from .demo import demo_objects
from .manifests import load_objects
from .server import run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m smi_ui.sandbox", description="Serve a sandbox Kubernetes API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6443)
    parser.add_argument("--layout", default=DEFAULT_LAYOUT, choices=sorted(LAYOUTS),
                        help="which SMI CRD versions the cluster serves")
    parser.add_argument("--demo", action="store_true", help="load the demo world")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway CA")
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for this cluster to PATH")
    parser.add_argument("manifests", nargs="*", type=Path, help="YAML files to load at start")
    args = parser.parse_args(argv)
    objects = (demo_objects(args.layout) if args.demo else []) + load_objects(args.manifests)
    run_forever(args.host, args.port, args.layout, objects, tls=args.tls, kubeconfig=args.kubeconfig)


if __name__ == "__main__":
    main()
