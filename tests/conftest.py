"""Fixtures shared by every test package."""

pytest_plugins = ["smi_ui.sandbox.testing"]
