"""`{% app_module_preloads %}`: a modulepreload link for every module of the app's static
import graph (signal_server/module_graph.py), so the browser asks for them all at once.
The vendored libraries have their own links, with integrity ({% vendor_preloads %})."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html_join

from signal_server.module_graph import module_graph

register = template.Library()


@register.simple_tag
def app_module_preloads():
    modules = [path for path in module_graph() if path.startswith("app/") and path != "app/main.js"]
    rows = ((static(path),) for path in modules)
    return format_html_join("\n  ", '<link rel="modulepreload" href="{}">', rows)
