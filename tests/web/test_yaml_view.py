"""The YAML highlighter marks keys but never lets markup through."""

from smi_ui.web.templatetags.yaml_view import highlighted_yaml


def test_keys_are_marked_and_values_stay_text():
    html = highlighted_yaml('metadata:\n  name: "<script>alert(1)</script>"\n- service: b')
    assert '<span class="yk">metadata</span>:' in html
    assert '- <span class="yk">service</span>: b' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_hostile_keys_are_escaped_too():
    html = highlighted_yaml("  '<img src=x onerror=alert(1)>': v")
    assert "<img" not in html and "&lt;img" in html
