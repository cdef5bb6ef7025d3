"""Conformance against the shared SMI test data: real manifests, official CRDs, real apiserver verdicts.

Skipped when `../shared/smi-spec` (or $SMI_SPEC_DIR) is absent. The data is only read, never
copied. Counts are printed in the "SMI conformance" section of the terminal summary.
"""

from __future__ import annotations

import collections
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from smi_ui.smi import (
    STRICTER_THAN_CRD,
    InvalidManifest,
    UnsupportedAPIVersion,
    crd_schema,
    is_smi,
    model_schema,
    parse,
    serialize,
    validate_manifest,
)
from smi_ui.smi.kinds import REGISTRY, split_api_version
from smi_ui.smi.layouts import LAYOUTS
from smi_ui.smi.names import is_dns1123_subdomain
from smi_ui.smi.schema import FLAVOURS, SchemaNotPublished, flavour_differences

from .jsonschema_support import crd_verdict, verdict_kind
from .support import KubeYAMLLoader, smi_spec_dir

FOLDERS = ("examples", "corpus", "corpus-mutants")
# The CRDs of each publisher (the current files, not their history), as layouts.py names them.
PUBLISHER_CRDS = {
    "smi-sdk-go": "crds/smi-sdk-go/*.yaml",
    "osm": "crds/osm/*.yaml",
    "linkerd-smi": "crds/third-party/linkerd-smi/*.yaml",
    "traefik-mesh": "crds/third-party/traefik-mesh/*.yaml",
}
# The spec's examples often omit apiVersion; their folder says which API version they document,
# and the traffic specs of an access or split version are those that version pairs with.
_FOLDER_GROUPS = {
    "traffic-split": "split.smi-spec.io",
    "traffic-access": "access.smi-spec.io",
    "traffic-specs": "specs.smi-spec.io",
}
_SPECS_PARTNER = {
    ("traffic-access", "v1alpha1"): "v1alpha1",
    ("traffic-access", "v1alpha2"): "v1alpha3",
    ("traffic-access", "v1alpha3"): "v1alpha4",
    ("traffic-access", "v1alpha4"): "v1alpha4",
    ("traffic-split", "v1alpha3"): "v1alpha2",
    ("traffic-split", "v1alpha4"): "v1alpha4",
}


@dataclass
class Document:
    folder: str
    file: str
    index: int
    body: Any
    inferred: bool = False

    @property
    def where(self) -> str:
        return f"{self.folder}/{self.file}#{self.index}"


@dataclass
class SharedData:
    root: Path
    documents: list[Document]
    not_yaml: dict[str, list[str]]
    official: dict[tuple[str, str, str], dict[str, Any]]

    def smi_documents(self, folders: tuple[str, ...] = FOLDERS) -> list[Document]:
        return [
            doc
            for doc in self.documents
            if doc.folder in folders and isinstance(doc.body, dict) and doc.body.get("kind") in REGISTRY
        ]


def _infer_example_api_version(file: str, body: Any) -> bool:
    if not isinstance(body, dict) or "apiVersion" in body or body.get("kind") not in REGISTRY:
        return False
    area, version = Path(file).parts[:2]
    info = REGISTRY[body["kind"]]
    if _FOLDER_GROUPS.get(area) == info.group and version in info.versions:
        body["apiVersion"] = info.api_version(version)
        return True
    if info.group == "specs.smi-spec.io" and (area, version) in _SPECS_PARTNER:
        body["apiVersion"] = info.api_version(_SPECS_PARTNER[(area, version)])
        return True
    return False


@pytest.fixture(scope="module")
def shared() -> SharedData:
    root = smi_spec_dir()
    documents: list[Document] = []
    not_yaml: dict[str, list[str]] = {folder: [] for folder in FOLDERS}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".yaml", ".yml"):
                continue
            file = str(path.relative_to(root / folder))
            try:
                bodies = list(yaml.load_all(path.read_text(), Loader=KubeYAMLLoader))
            except yaml.YAMLError:
                not_yaml[folder].append(file)
                continue
            for index, body in enumerate(bodies):
                inferred = folder == "examples" and _infer_example_api_version(file, body)
                documents.append(Document(folder, file, index, body, inferred))
    official: dict[tuple[str, str, str], dict[str, Any]] = {}
    for publisher, pattern in PUBLISHER_CRDS.items():
        for path in sorted(root.glob(pattern)):
            for crd in yaml.safe_load_all(path.read_text()):
                if isinstance(crd, dict) and crd.get("kind") == "CustomResourceDefinition":
                    for version in crd["spec"]["versions"]:
                        key = (publisher, crd["spec"]["names"]["kind"], version["name"])
                        official[key] = version["schema"]["openAPIV3Schema"]
    return SharedData(root, documents, not_yaml, official)


def _relabelled(body: dict[str, Any], version: str) -> dict[str, Any]:
    info = REGISTRY[body["kind"]]
    return {**body, "apiVersion": info.api_version(version)}


def _has_schema(schema: dict[str, Any]) -> bool:
    return "properties" in schema


# --- 1. every document: lossless, rejected with paths, or unsupported ------------------------


def test_every_smi_document_round_trips_or_is_rejected_or_is_unsupported(shared, report):
    problems: list[str] = []
    lines = ["1. every SMI document of the shared data"]
    for folder in FOLDERS:
        buckets: collections.Counter[str] = collections.Counter()
        buckets["not YAML (files)"] = len(shared.not_yaml[folder])
        buckets["round-trips losslessly and valid"] = buckets["rejected by validation"] = 0
        for doc in (d for d in shared.documents if d.folder == folder):
            body = doc.body
            if not is_smi(body):
                buckets["not SMI (skipped)"] += 1
                continue
            buckets["apiVersion from the example's folder"] += doc.inferred
            original = copy.deepcopy(body)
            try:
                obj = parse(body)
            except UnsupportedAPIVersion as error:
                buckets["unsupported"] += 1
                if not error.reason or f"{error.group}/{error.version}".lstrip("/") not in str(error):
                    problems.append(f"{doc.where}: unsupported without naming group/version: {error}")
                continue
            except InvalidManifest:
                obj = None
            except Exception as error:  # a crash is what this test looks for
                problems.append(f"{doc.where}: parse crashed: {error!r}")
                continue
            try:
                errors = validate_manifest(body)
                written = serialize(obj) if obj is not None else None
            except Exception as error:
                problems.append(f"{doc.where}: crashed: {error!r}")
                continue
            if body != original:
                problems.append(f"{doc.where}: the input was modified")
            if obj is not None and written != original:
                problems.append(f"{doc.where}: not written back losslessly")
            if errors:
                buckets["rejected by validation"] += 1
                if not all(error.path and error.code for error in errors):
                    problems.append(f"{doc.where}: errors without a path: {errors}")
            elif obj is None:
                problems.append(f"{doc.where}: unreadable by parse but valid for validate")
            else:
                buckets["round-trips losslessly and valid"] += 1
        counts = ", ".join(f"{name}: {count}" for name, count in sorted(buckets.items()) if count)
        lines.append(f"   {folder}: {counts}")
    report.extend(lines)
    assert not problems, "\n".join(problems[:30])
    assert len(shared.smi_documents(("examples", "corpus"))) > 100


# --- 2. project validation vs the official CRD schemas ---------------------------------------


def test_project_validation_never_accepts_what_an_official_crd_refuses(shared, report):
    counts: collections.Counter[str] = collections.Counter()
    stricter_codes: collections.Counter[str] = collections.Counter()
    problems: list[str] = []
    model_schema_problems: list[str] = []
    for doc in shared.smi_documents():
        info = REGISTRY[doc.body["kind"]]
        for version in info.versions:
            document = _relabelled(doc.body, version)
            errors = validate_manifest(document)
            project = "reject" if errors else "accept"
            strict = jsonschema.Draft7Validator(model_schema(info.kind, version))
            if project == "accept" and next(strict.iter_errors(document), None) is not None:
                model_schema_problems.append(f"{doc.where} as {version}: model_schema refuses a valid document")
            for publisher in PUBLISHER_CRDS:
                schema = shared.official.get((publisher, info.kind, version))
                if schema is None or not _has_schema(schema):
                    continue
                crd = verdict_kind(crd_verdict(schema, document))
                if crd == "reject" and project == "accept":
                    problems.append(f"{doc.where} as {version}: the {publisher} CRD refuses it, the project accepts it")
                elif crd == "accept" and project == "reject":
                    unexplained = sorted({e.code for e in errors} - set(STRICTER_THAN_CRD))
                    if unexplained:
                        problems.append(
                            f"{doc.where} as {version}: refused for {unexplained} the {publisher} CRD accepts"
                        )
                    counts["project stricter (codes in STRICTER_THAN_CRD)"] += 1
                    stricter_codes.update({e.code for e in errors})
                else:
                    counts[f"both {crd}"] += 1
    report.append("2. project validation vs official CRD schemas (every document x every version x publisher)")
    report.append("   " + ", ".join(f"{name}: {count}" for name, count in sorted(counts.items())))
    report.append(f"   disagreements: {len(problems)}; model_schema inconsistencies: {len(model_schema_problems)}")
    report.append("   STRICTER_THAN_CRD (code: documents where it made the difference | reason):")
    for code, reason in STRICTER_THAN_CRD.items():
        report.append(f"     {code}: {stricter_codes.get(code, 0)} | {reason}")
    assert not problems, "\n".join(problems[:30])
    assert not model_schema_problems, "\n".join(model_schema_problems[:30])
    assert counts["both accept"] > 0 and counts["both reject"] > 0


# --- 3. generated CRD schemas vs each publisher's CRD ----------------------------------------


def test_generated_crd_schemas_match_each_publishers_crd_on_every_document(shared, report):
    problems: list[str] = []
    documents = shared.smi_documents()
    report.append("3. crd_schema(kind, version, flavour) vs the publisher's CRD (verdicts on every document)")
    for layout in LAYOUTS.values():
        counts: collections.Counter[str] = collections.Counter()
        for served in layout.kinds:
            for version in served.served:
                official = shared.official[(layout.name, served.info.kind, version)]
                mine = crd_schema(served.info.kind, version, served.flavour)
                for doc in documents:
                    if doc.body["kind"] != served.info.kind:
                        continue
                    own = split_api_version(str(doc.body.get("apiVersion", "")))[1] == version
                    document = _relabelled(doc.body, version)
                    expected, got = crd_verdict(official, document), crd_verdict(mine, document)
                    counts["agree" if expected == got else "DISAGREE"] += 1
                    counts["of which written for that version"] += own
                    if expected != got:
                        problems.append(f"{layout.name} {served.info.kind} {version} {doc.where}: {got} != {expected}")
        report.append(f"   layout {layout.name}: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    assert not problems, "\n".join(problems[:30])


def test_every_version_a_publisher_lists_is_generated_alike(shared, report):
    problems: list[str] = []
    compared = 0
    for (publisher, kind, version), official in shared.official.items():
        try:
            mine = crd_schema(kind, version, publisher)
        except SchemaNotPublished:
            problems.append(f"{publisher} lists {kind} {version}, crd_schema does not")
            continue
        if _has_schema(official) != _has_schema(mine):
            problems.append(f"{publisher} {kind} {version}: schema-less in only one of them")
        for doc in shared.smi_documents():
            if doc.body["kind"] == kind:
                document = _relabelled(doc.body, version)
                compared += 1
                if crd_verdict(official, document) != crd_verdict(mine, document):
                    problems.append(f"{publisher} {kind} {version} {doc.where}: verdicts differ")
    for name, flavour in FLAVOURS.items():
        for kind, versions in {**flavour.structural}.items():
            problems.extend(
                f"{name} {kind} {v}: generated but not in the publisher's CRD"
                for v in versions
                if (name, kind, v) not in shared.official
            )
    report.append(
        f"   all versions the publishers list (served or not): {len(shared.official)} schemas, "
        f"{compared} verdicts compared, {len(problems)} disagreements"
    )
    report.append("   flavour differences from the generated base:")
    report.extend(f"     {line}" for line in flavour_differences())
    assert not problems, "\n".join(problems[:30])


# --- 4. generated CRD schemas vs a real apiserver --------------------------------------------


def test_generated_crd_schemas_give_the_verdicts_of_a_real_apiserver(shared, report):
    verdict_dir = shared.root / "real-apiserver-verdicts"
    if not verdict_dir.is_dir():
        pytest.skip(f"no real apiserver verdicts in {verdict_dir}")
    problems: list[str] = []
    report.append("4. crd_schema + strict decoding + metadata.name vs kube-apiserver verdicts (per layout)")
    for layout in LAYOUTS.values():
        counts: collections.Counter[str] = collections.Counter()
        for folder in FOLDERS:
            path = verdict_dir / f"{layout.name}-{folder}.jsonl"
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                record = json.loads(line)
                verdict = record["verdict"]
                if verdict == "yaml-error":
                    ok = record["file"] in shared.not_yaml[folder]
                elif verdict == "error":  # namespace not found and the like: not about the schema
                    counts["skipped (other errors)"] += 1
                    continue
                else:
                    group, version = split_api_version(record["apiVersion"])
                    info = REGISTRY.get(record["kind"])
                    served = layout.served(record["kind"]) if info and info.group == group else None
                    if verdict == "not-served":
                        ok = served is None or version not in served.served
                    else:
                        doc = yaml.load_all((shared.root / folder / record["file"]).read_text(), Loader=KubeYAMLLoader)
                        body = list(doc)[record["index"]]
                        got = "not-served"
                        if served is not None and version in served.served:
                            got = crd_verdict(crd_schema(info.kind, version, served.flavour), body)
                            if got == "accepted" and not is_dns1123_subdomain((body.get("metadata") or {}).get("name")):
                                got = "invalid"
                        ok = got == verdict
                counts["agree" if ok else "DISAGREE"] += 1
                counts[f"  {verdict}"] += 1
                if not ok:
                    problems.append(f"{layout.name} {folder}/{record['file']}#{record.get('index')}: {verdict}")
        report.append(f"   layout {layout.name}: " + ", ".join(f"{k.strip()}: {v}" for k, v in sorted(counts.items())))
    assert not problems, "\n".join(problems[:30])
