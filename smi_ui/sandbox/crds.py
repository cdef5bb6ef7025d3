"""CustomResourceDefinitions: the SMI CRDs a layout installs, and checks for CRDs clients write.

The server's custom resource types are derived from the stored CRD objects, so a layout
is just a set of CRDs installed at start, and clients can install, change or remove
CRDs at run time (discovery follows) exactly as on a real cluster.
"""

from __future__ import annotations

from typing import Any

from smi_ui.smi.layouts import Layout

from . import fielderrors as fe
from .fielderrors import FieldError
from .resources import SchemaProvider

OPEN_SCHEMA = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def crd_objects(layout: Layout, schemas: SchemaProvider | None) -> list[dict[str, Any]]:
    """One CRD per kind of the layout, with only the served versions (storage version first)."""
    objects = []
    for served in layout.kinds:
        info = served.info
        versions = []
        for version in served.served:
            schema = schemas(info.kind, version, served.flavour) if schemas else None
            entry: dict[str, Any] = {
                "name": version,
                "served": True,
                "storage": version == served.storage_version,
                "schema": {"openAPIV3Schema": schema or OPEN_SCHEMA},
            }
            columns = getattr(info, "printer_columns", ())
            if columns:
                entry["additionalPrinterColumns"] = [dict(c) for c in columns]
            versions.append(entry)
        objects.append({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": info.crd_name, "labels": {"smi-ui.dev/layout": layout.name}},
            "spec": {
                "group": info.group,
                "names": {
                    "kind": info.kind,
                    "listKind": info.list_kind,
                    "plural": info.plural,
                    "singular": info.singular,
                    "shortNames": list(info.short_names),
                },
                "scope": "Namespaced" if info.namespaced else "Cluster",
                "versions": versions,
                "conversion": {"strategy": "None"},
            },
        })
    return objects


def validate_crd(crd: dict[str, Any]) -> list[FieldError]:
    """The checks that keep a CRD usable: names, group, scope, one storage version among served ones."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    errors: list[FieldError] = []
    for field in ("plural", "kind"):
        if not names.get(field):
            errors.append(fe.required(f"spec.names.{field}"))
    if not spec.get("group"):
        errors.append(fe.required("spec.group"))
    name = (crd.get("metadata") or {}).get("name", "")
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        errors.append(fe.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        errors.append(fe.not_supported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]))
    versions = spec.get("versions") or []
    if not versions:
        errors.append(fe.required("spec.versions", "must have exactly one version marked as storage version"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        errors.append(fe.invalid("spec.versions", versions, "must have exactly one version marked as storage "
                                 "version"))
    return errors


def establish(crd: dict[str, Any]) -> None:
    """What the CRD controllers report once names are accepted: the status a client waits for."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    stored = list((crd.get("status") or {}).get("storedVersions") or [])
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted"},
        ],
        "storedVersions": sorted(set(stored) | set(storage)),
    }
