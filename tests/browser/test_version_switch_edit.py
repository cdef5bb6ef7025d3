"""The YAML editor after a CRD version switch: fields the served version cannot hold are named, and
dropped only when the user ticks the box (real Chromium)."""

from __future__ import annotations

import re

import pytest
import yaml

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, sync_api
from tests.changes.test_version_switch import MATCHES, stored_in_cluster, switched
from tests.edit_support import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect


def test_the_preview_names_the_lost_fields_and_apply_waits_for_the_drop_box(world_factory, new_page):
    world = switched(world_factory)
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(f"/clusters/{world.cluster.name}/objects/storefront/trafficsplits/catalog-ab-test/yaml/")
    editor = page.get_by_label("TrafficSplit as YAML")
    expect(editor).to_have_value(re.compile(r"name: catalog-ab-test"))
    document = yaml.safe_load(editor.input_value())
    document["spec"]["backends"][0]["weight"] = 70
    editor.fill(yaml.safe_dump(document, sort_keys=False))
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator("[data-lost-fields]")).to_contain_text("spec.matches")
    expect(page.locator("[data-diff]")).to_contain_text(re.compile(r"^-.*firefox-users$", re.MULTILINE))
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    assert stored_in_cluster(world)["spec"]["matches"] == MATCHES
    page.get_by_label("Drop these fields").check()
    expect(apply).to_be_enabled()
    apply.click()
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    stored = stored_in_cluster(world)
    assert "matches" not in stored["spec"] and stored["spec"]["backends"][0]["weight"] == 70
