"""The app shell: one HTML page; everything else happens in the browser."""

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def app_shell(request):
    return render(request, "index.html")
