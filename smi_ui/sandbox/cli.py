"""The sandbox's command line, shared by `python -m smi_ui.sandbox` and `manage.py sandbox`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from smi_ui.smi.layouts import DEFAULT_LAYOUT, LAYOUTS

from .demo import demo_objects
from .manifests import load_objects
from .server import run_forever


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6443)
    parser.add_argument("--layout", default=DEFAULT_LAYOUT, choices=sorted(LAYOUTS),
                        help="which SMI CRD versions the cluster serves")
    parser.add_argument("--demo", action="store_true", help="load the demo world and simulate its traffic")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway CA")
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for this cluster to PATH")
    parser.add_argument("manifests", nargs="*", type=Path, help="YAML files to load at start")


def serve(options: argparse.Namespace | dict, announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted, with the demo world and/or the given manifests loaded."""
    values = vars(options) if isinstance(options, argparse.Namespace) else options
    objects = (demo_objects(values["layout"]) if values["demo"] else []) + load_objects(values["manifests"])
    run_forever(values["host"], values["port"], values["layout"], objects, tls=values["tls"],
                kubeconfig=values["kubeconfig"], announce=announce, simulate_traffic=values["demo"])
