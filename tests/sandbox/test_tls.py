"""HTTPS sandboxes: clients verify the server against the CA carried in the kubeconfig."""

from __future__ import annotations

import base64
import ssl

import pytest

from smi_ui.sandbox.tls import generate

from .support import Api

pytestmark = pytest.mark.covers("tls")


def test_https_is_verified_with_the_kubeconfig_ca(sandbox_factory):
    handle = sandbox_factory(tls=True)
    assert handle.url.startswith("https://127.0.0.1:")
    cluster_entry = handle.cluster.kubeconfig()["clusters"][0]["cluster"]
    ca = base64.b64decode(cluster_entry["certificate-authority-data"])
    assert Api(handle.url, ca_pem=ca).get("/version").status == 200
    with pytest.raises(ssl.SSLCertVerificationError):
        Api(handle.url, ca_pem=generate().ca_pem).get("/version")


def test_kubectl_trusts_the_generated_ca(sandbox_factory):
    handle = sandbox_factory(tls=True)
    result = handle.kubectl("get", "namespaces", "-o", "name", check=True)
    assert "namespace/default" in result.stdout
