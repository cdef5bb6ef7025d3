"""Names, labels and annotations carrying HTML/JS render as text on every page: no script runs."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject
from smi_ui.inventory.normalize import normalize
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.edit_support import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect

NAME_PAYLOAD = 'x"><img src=x onerror=window.__xss=1>'
LABEL_PAYLOAD = "<script>window.__xss=2</script>"
ANNOTATION_PAYLOAD = "<img src=x onerror=window.__xss=3>"
TARGET_PAYLOAD = "<svg onload=window.__xss=4>"
BACKEND_PAYLOAD = "<img src=y onerror=window.__xss=5>"


def store(cluster, document: dict) -> None:
    """Put a hostile object straight into the inventory (as a compromised source could)."""
    metadata = document["metadata"]
    fields = normalize(document)
    KubeObject.objects.create(
        cluster=cluster, api_version=document["apiVersion"], kind=document["kind"], namespace=metadata["namespace"],
        name=metadata["name"], uid=str(uuid.uuid4()), resource_version="1", labels=metadata.get("labels", {}),
        raw=document, normalized=fields.normalized, problems=fields.problems, observed_at=timezone.now())


@pytest.fixture
def hostile(world):
    store(world.cluster, {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": NAME_PAYLOAD, "namespace": "bookstore", "labels": {"app": LABEL_PAYLOAD},
        "annotations": {"note": ANNOTATION_PAYLOAD}}, "spec": {"selector": {"app": "bookstore"}}})
    store(world.cluster, {"apiVersion": "access.smi-spec.io/v1alpha3", "kind": "TrafficTarget", "metadata": {
        "name": TARGET_PAYLOAD, "namespace": "storefront", "annotations": {"note": ANNOTATION_PAYLOAD}},
        "spec": {"destination": {"kind": "ServiceAccount", "name": "checkout", "namespace": "storefront"},
                 "rules": [{"kind": "HTTPRouteGroup", "name": LABEL_PAYLOAD}],
                 "sources": [{"kind": "ServiceAccount", "name": "frontend", "namespace": "storefront"}]}})
    store(world.cluster, {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": {
        "name": "hostile-split", "namespace": "storefront", "labels": {"app": LABEL_PAYLOAD}},
        "spec": {"service": "catalog", "backends": [{"service": BACKEND_PAYLOAD, "weight": 1},
                                                    {"service": "catalog", "weight": 1}]}})
    return world


def test_payloads_stay_text_on_every_page(hostile, new_page):
    make_user("olivia", Role.OPERATOR)
    page = new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    log_in(page, "olivia")
    base = f"/clusters/{hostile.cluster.name}"
    service_url = page.evaluate("n => encodeURIComponent(n)", NAME_PAYLOAD)
    visits = [
        (f"{base}/objects/?namespace=bookstore", NAME_PAYLOAD, "objects"),
        (f"{base}/objects/bookstore/services/{service_url}/", ANNOTATION_PAYLOAD, "object"),
        (f"{base}/policy/", TARGET_PAYLOAD, None),
        (f"{base}/topology/", NAME_PAYLOAD, None),
        (f"{base}/objects/storefront/trafficsplits/hostile-split/weights/", BACKEND_PAYLOAD, None),
    ]
    for url, payload, shot in visits:
        page.goto(url)
        page.wait_for_load_state("load")
        shown = page.get_by_test_id("topology-list") if "topology" in url else page.locator("main")
        expect(shown).to_contain_text(payload, use_inner_text=False)
        assert page.evaluate("() => window.__xss") is None, url
        assert page.locator("main img, main svg:not([class]) , main script:not([type])").count() == 0, url
        if shot:
            screenshot(page, shot)
    # the labels and the YAML of the hostile object show the script tag as characters
    page.goto(f"{base}/objects/bookstore/services/{service_url}/")
    expect(page.get_by_test_id("labels")).to_contain_text(LABEL_PAYLOAD)
    expect(page.get_by_test_id("yaml")).to_contain_text("window.__xss=2")
    assert page.evaluate("() => window.__xss") is None


def test_payloads_stay_text_in_the_editors(hostile, new_page):
    make_user("pete", Role.POLICY_EDITOR)
    page = new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    log_in(page, "pete")
    base = f"/clusters/{hostile.cluster.name}/objects"
    target = page.evaluate("n => encodeURIComponent(n)", TARGET_PAYLOAD)
    for url in (f"{base}/storefront/trafficsplits/hostile-split/edit/",
                f"{base}/storefront/trafficsplits/hostile-split/yaml/",
                f"{base}/storefront/traffictargets/{target}/edit/",
                f"{base}/storefront/traffictargets/{target}/yaml/"):
        page.goto(url)
        page.wait_for_load_state("load")
        html = page.content()
        assert any(p in html for p in ("&lt;img src=y", "&lt;svg onload", "&lt;script&gt;")) or \
            page.locator("input, textarea").evaluate_all(
                "(nodes, payloads) => nodes.some(n => payloads.some(p => n.value.includes(p)))",
                [BACKEND_PAYLOAD, TARGET_PAYLOAD, LABEL_PAYLOAD]), url
        assert page.evaluate("() => window.__xss") is None, url
        assert page.locator("main img, main svg:not([class]), main script:not([type])").count() == 0, url
