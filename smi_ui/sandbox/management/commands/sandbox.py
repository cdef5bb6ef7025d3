"""`manage.py sandbox`: serve a sandbox Kubernetes API (optionally with the demo world)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from smi_ui.sandbox.demo import demo_objects
from smi_ui.sandbox.manifests import load_objects
from smi_ui.sandbox.server import run_forever
from smi_ui.smi.layouts import DEFAULT_LAYOUT, LAYOUTS


class Command(BaseCommand):
    help = "Serve an in-memory Kubernetes API server that kubectl and the dashboard can use."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=6443)
        parser.add_argument("--layout", default=DEFAULT_LAYOUT, choices=sorted(LAYOUTS),
                            help="which SMI CRD versions the cluster serves")
        parser.add_argument("--demo", action="store_true", help="load the demo world")
        parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA")
        parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for the cluster here")
        parser.add_argument("manifests", nargs="*", type=Path, help="YAML files to load at start")

    def handle(self, *args, host: str, port: int, layout: str, demo: bool, tls: bool, kubeconfig: Path | None,
               manifests: list[Path], **options) -> None:
        objects = (demo_objects(layout) if demo else []) + load_objects(manifests)
        run_forever(host, port, layout, objects, tls=tls, kubeconfig=kubeconfig, announce=self.stdout.write)
