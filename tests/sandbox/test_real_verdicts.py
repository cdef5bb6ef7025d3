"""Same verdicts as a real kube-apiserver, for every recorded SMI document and CRD layout.

The sandbox validates with the project's own `smi_ui.smi.schema.crd_schema`, so a
disagreement here is either a sandbox bug or a schema gap in the SMI model; each one is
listed with the real and the sandbox answer.
"""

from __future__ import annotations

import collections

import pytest
import yaml

from smi_ui.sandbox import project_schemas

from .conformance import VERDICT_AGREEMENT
from .support import Api
from .verdicts import LAYOUTS, Documents, KubectlLikeSubmitter, compare_all, existing_namespaces, records


def _namespace_objects(names: set[str]) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in sorted(names - {"default"})]


@pytest.fixture(scope="module")
def documents(smi_spec_dir) -> Documents:
    return Documents(smi_spec_dir)


@pytest.mark.parametrize("layout", [pytest.param(name, marks=pytest.mark.covers(f"verdicts.{name}"))
                                    for name in LAYOUTS])
def test_every_document_gets_the_real_servers_verdict(layout, smi_spec_dir, documents, sandbox_factory):
    schemas = project_schemas()
    assert schemas is not None, "smi_ui.smi.schema.crd_schema is missing: the comparison needs the project's schemas"
    all_records = records(smi_spec_dir, layout)
    handle = sandbox_factory(layout=layout, schemas=schemas,
                             objects=_namespace_objects(existing_namespaces(all_records, documents)))
    comparisons = list(compare_all(all_records, documents, KubectlLikeSubmitter(Api(handle.url))))

    verdicts_agree = sum(c.same_verdict for c in comparisons)
    messages_agree = sum(c.same_verdict and c.same_message for c in comparisons)
    by_class = collections.Counter((c.record.verdict, c.same_verdict) for c in comparisons)
    print(f"\n[{layout}] verdict+code agreement {verdicts_agree}/{len(comparisons)} "
          f"({100 * verdicts_agree / len(comparisons):.1f}%), identical message {messages_agree}/{len(comparisons)}")
    print(f"[{layout}] per class: " + ", ".join(f"{v}={n}{'' if ok else ' DISAGREE'}"
                                                for (v, ok), n in sorted(by_class.items())))
    VERDICT_AGREEMENT[layout] = (verdicts_agree, messages_agree, len(comparisons))
    disagreements = [c.describe() for c in comparisons if not (c.same_verdict and c.same_message)]
    for line in disagreements:
        print(f"[{layout}] DISAGREE {line}")
    assert not disagreements, f"{len(disagreements)} documents answered differently:\n" + "\n".join(disagreements[:20])


@pytest.mark.covers("client.kubectl", "errors.invalid", "errors.strict", "errors.namespace-not-found")
def test_kubectl_prints_what_the_real_server_made_it_print(smi_spec_dir, documents, sandbox_factory):
    """A sample through the real kubectl: one document per distinct kind of answer, per layout `osm`."""
    all_records = records(smi_spec_dir, "osm")
    handle = sandbox_factory(layout="osm", objects=_namespace_objects(existing_namespaces(all_records, documents)))
    sample = {}
    for record in all_records:
        if record.verdict == "yaml-error":
            continue
        template = (record.verdict, record.kind, record.message.split(":")[0][:40])
        sample.setdefault(template, record)
    assert len(sample) >= 10
    for record in sample.values():
        document = documents.document(record)
        result = handle.kubectl("create", "--dry-run=server", "-f", "-", input=yaml.safe_dump(document))
        if record.verdict == "accepted":
            assert result.returncode == 0 and result.stdout.strip().endswith("created (server dry run)"), result.stderr
        else:
            assert result.returncode == 1
            assert result.stderr.strip() == record.message, f"{record.file}#{record.index}"
