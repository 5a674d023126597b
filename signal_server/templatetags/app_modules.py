"""`{% app_scripts %}`: the app's module script and a modulepreload link for each module
it imports at once, so the browser asks for them all in one round: the bundle's entry
and chunks, or every module of the static import graph (signal_server/app_bundle.py).
The vendored libraries have their own links, with integrity ({% vendor_preloads %})."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from signal_server.app_bundle import page_scripts

register = template.Library()


@register.simple_tag
def app_scripts():
    scripts = page_scripts()
    preloads = format_html_join(
        "\n  ",
        '<link rel="modulepreload" href="{}">',
        ((static(path),) for path in scripts.preload),
    )
    entry = format_html(
        '<script type="module" id="app-module" src="{}"></script>', static(scripts.entry)
    )
    return format_html("{}\n  {}", preloads, entry) if scripts.preload else entry
