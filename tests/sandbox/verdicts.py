"""Replaying the recorded answers of a real kube-apiserver against a sandbox.

`real-apiserver-verdicts/<layout>-<folder>.jsonl` holds, per SMI document, what
`kubectl create --dry-run=server -f -` printed against a real server. This module
finds each document, submits it the way kubectl does (discovery-based mapping, then a
POST with `dryRun=All&fieldValidation=Strict`) and renders the answer as kubectl prints
it, so verdict, status code and message can all be compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .support import Api

FOLDERS = ("corpus", "examples", "corpus-mutants")
LAYOUTS = ("smi-sdk-go", "osm", "linkerd-smi", "traefik-mesh")
EXPECTED_CODES = {"accepted": 201, "invalid": 422, "bad-request": 400, "not-served": None, "yaml-error": None}


@dataclass(frozen=True)
class Record:
    folder: str
    file: str
    index: int
    verdict: str
    message: str
    kind: str | None
    api_version: str | None

    @property
    def expected_code(self) -> int | None:
        if self.verdict == "error":
            match = re.match(r"Error from server \((\w+)\)", self.message)
            return {"NotFound": 404, "Forbidden": 403, "AlreadyExists": 409}.get(match.group(1)) if match else None
        return EXPECTED_CODES[self.verdict]


@dataclass(frozen=True)
class Outcome:
    verdict: str
    code: int | None
    message: str


def records(spec_dir: Path, layout: str) -> list[Record]:
    found = []
    for folder in FOLDERS:
        path = spec_dir / "real-apiserver-verdicts" / f"{layout}-{folder}.jsonl"
        for line in path.read_text().splitlines():
            raw = json.loads(line)
            found.append(Record(folder, raw["file"], raw["index"], raw["verdict"], raw.get("message") or "",
                                raw.get("kind"), raw.get("apiVersion")))
    return found


class Documents:
    """Parsed documents by (folder, file), parsed once; a YAML error is kept as the value."""

    def __init__(self, spec_dir: Path):
        self.spec_dir = spec_dir
        self._cache: dict[tuple[str, str], list[Any] | yaml.YAMLError] = {}

    def parsed(self, record: Record) -> list[Any] | yaml.YAMLError:
        key = (record.folder, record.file)
        if key not in self._cache:
            text = (self.spec_dir / record.folder / record.file).read_text()
            try:
                self._cache[key] = list(yaml.safe_load_all(text))
            except yaml.YAMLError as error:
                self._cache[key] = error
        return self._cache[key]

    def document(self, record: Record) -> dict[str, Any]:
        parsed = self.parsed(record)
        assert not isinstance(parsed, yaml.YAMLError), f"{record.file} does not parse"
        document = parsed[record.index]
        assert document.get("kind") == record.kind, f"{record.file}#{record.index} is not a {record.kind}"
        return document


def namespace_of(document: dict[str, Any]) -> str:
    return (document.get("metadata") or {}).get("namespace") or "default"


def existing_namespaces(all_records: list[Record], documents: Documents) -> set[str]:
    """Namespaces the real server had: those of accepted or schema-invalid documents (plus `default`)."""
    existing = {"default"}
    missing = set()
    for record in all_records:
        match = re.search(r'namespaces "([^"]*)" not found', record.message)
        if match:
            missing.add(match.group(1))
        elif record.verdict in ("accepted", "invalid"):
            existing.add(namespace_of(documents.document(record)))
    assert not existing & missing, f"namespaces both present and missing: {existing & missing}"
    return existing


class KubectlLikeSubmitter:
    """Maps kinds through the sandbox's discovery and POSTs documents as `kubectl create --dry-run=server`."""

    def __init__(self, api: Api):
        self.api = api
        self.mapping: dict[tuple[str, str], str] = {}
        for group in api.get("/apis").body["groups"]:
            for version in group["versions"]:
                resource_list = api.get(f"/apis/{version['groupVersion']}").body
                for resource in resource_list["resources"]:
                    if "/" not in resource["name"]:
                        self.mapping[(version["groupVersion"], resource["kind"])] = resource["name"]

    def submit(self, document: dict[str, Any]) -> Outcome:
        api_version, kind = document.get("apiVersion"), document.get("kind")
        metadata = document.get("metadata") or {}
        plural = self.mapping.get((api_version, kind))
        if plural is None:
            return Outcome("not-served", None, (
                f'error: resource mapping not found for name: "{metadata.get("name")}" namespace: '
                f'"{metadata.get("namespace") or ""}" from "STDIN": no matches for kind "{kind}" in version '
                f'"{api_version}"\nensure CRDs are installed first'))
        path = f"/apis/{api_version}/namespaces/{namespace_of(document)}/{plural}"
        answer = self.api.post(path, document, dryRun="All", fieldValidation="Strict")
        return render(answer.status, answer.body)


def render(code: int, status: dict[str, Any]) -> Outcome:
    """What kubectl prints for an answer (its `checkErr` formatting of a Status)."""
    if code in (200, 201):
        return Outcome("accepted", code, "")
    if code == 422:
        details = status.get("details") or {}
        errors = [f"{c['field']}: {c['message']}" for c in details.get("causes") or []]
        head = f'The {details.get("kind")} "{details.get("name")}" is invalid'
        if len(errors) == 1:
            return Outcome("invalid", code, f"{head}: {errors[0]}")
        return Outcome("invalid", code, f"{head}: \n" + "\n".join(f"* {e}" for e in errors))
    prefix = f'Error from server ({status.get("reason")}): error when creating "STDIN": '
    verdict = "bad-request" if code == 400 else "error"
    return Outcome(verdict, code, prefix + str(status.get("message")))


def same_message(expected: str, actual: str) -> bool:
    """Equal, allowing another order of several causes (the real server's order follows a Go map)."""
    if expected == actual:
        return True
    return sorted(expected.splitlines()) == sorted(actual.splitlines())


@dataclass
class Comparison:
    record: Record
    outcome: Outcome

    @property
    def same_verdict(self) -> bool:
        return self.outcome.verdict == self.record.verdict and self.outcome.code == self.record.expected_code

    @property
    def same_message(self) -> bool:
        return same_message(self.record.message, self.outcome.message)

    def describe(self) -> str:
        return (f"{self.record.folder}/{self.record.file}#{self.record.index} ({self.record.kind} "
                f"{self.record.api_version}): real {self.record.verdict} {self.record.expected_code} "
                f"{self.record.message!r}; sandbox {self.outcome.verdict} {self.outcome.code} "
                f"{self.outcome.message!r}")


def compare_all(all_records: list[Record], documents: Documents, submitter: KubectlLikeSubmitter
                ) -> Iterator[Comparison]:
    for record in all_records:
        if record.verdict == "yaml-error" or record.index < 0:
            parsed = documents.parsed(record)
            outcome = Outcome("yaml-error", None, record.message) if isinstance(parsed, yaml.YAMLError) \
                else Outcome("parsed", None, "")
        else:
            outcome = submitter.submit(documents.document(record))
        yield Comparison(record, outcome)
