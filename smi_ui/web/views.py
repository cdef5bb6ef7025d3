"""Pages. Views stay thin: they gather what services and selectors return and render it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.smi.kinds import KINDS


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "web/overview.html", {"kinds": KINDS})
