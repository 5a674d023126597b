"""`{% vendor_preloads %}`: modulepreload links with Subresource Integrity for the
vendored browser libraries (hashes written by scripts/build-vendor.mjs)."""

import json
from functools import cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

register = template.Library()


@cache
def vendor_integrity() -> dict[str, str]:
    path = settings.BASE_DIR / "static" / "vendor" / "integrity.json"
    return json.loads(path.read_text())


@register.simple_tag
def vendor_preloads():
    rows = ((static(f"vendor/{name}"), digest) for name, digest in vendor_integrity().items())
    return format_html_join(
        "\n  ",
        '<link rel="modulepreload" href="{}" integrity="{}">',
        rows,
    ) or format_html("")
