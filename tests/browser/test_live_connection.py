"""The websocket client every live page uses (static/js/live.js), in Chromium against the ASGI server."""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, sync_api
from tests.edit_support import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SUBSCRIBE = """([path, key]) => {
    window[key] = {statuses: [], messages: []};
    smiLive.subscribe(path, {onMessage: m => window[key].messages.push(m),
                             onStatus: s => window[key].statuses.push(s)});
}"""


def test_a_granted_user_goes_live_and_a_refused_one_does_not_retry(world, new_page, asgi_server):
    make_user("ada", Role.VIEWER)
    make_user("nobody")
    page = new_page(base_url=asgi_server)
    log_in(page, "ada")
    page.add_script_tag(url="/static/js/live.js")
    page.evaluate(SUBSCRIBE, [f"/ws/live/clusters/{world.cluster.pk}/namespaces/bookstore/", "ada"])
    page.wait_for_function("() => window.ada.statuses.includes('live')")

    other = new_page(base_url=asgi_server)
    log_in(other, "nobody")
    other.add_script_tag(url="/static/js/live.js")
    other.evaluate(SUBSCRIBE, [f"/ws/live/clusters/{world.cluster.pk}/namespaces/bookstore/", "nobody"])
    other.wait_for_function("() => window.nobody.statuses.includes('refused')")
    assert other.evaluate("() => window.nobody.statuses") == ["connecting", "refused"]
    sync_api.expect(other.locator("body")).to_be_visible()
