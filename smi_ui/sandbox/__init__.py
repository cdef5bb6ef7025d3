"""The sandbox cluster: an in-memory, Kubernetes-API-compatible server for tests and the demo.

`kubectl` and the official Python client talk to it unmodified. It imports no Django;
`manage.py sandbox` and `python -m smi_ui.sandbox` both call `run_forever`.
"""

from .auth import ALLOW_ALL, Rule, User
from .server import SandboxCluster, project_schemas, run_forever

__all__ = ["ALLOW_ALL", "Rule", "SandboxCluster", "User", "project_schemas", "run_forever"]
