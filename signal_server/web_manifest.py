"""The web app manifest (/manifest.webmanifest): what a browser needs to install Parley."""

from django.templatetags.static import static
from django.urls import reverse

THEME_COLOR = "#3b5bdb"  # the same as <meta name="theme-color"> in templates/index.html
BACKGROUND_COLOR = "#f4f5f8"  # the page background (style.css --bg), for the splash screen

# (file in static/icons/, size, purpose). "maskable" icons keep the mark inside the
# central safe circle, so a platform may crop them to any shape (scripts/make_icons.py).
ICONS = [
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/maskable-192.png", 192, "maskable"),
    ("icons/maskable-512.png", 512, "maskable"),
]


def web_manifest() -> dict:
    start = reverse("app")
    return {
        "id": start,
        "name": "Parley",
        "short_name": "Parley",
        "description": (
            "Private peer-to-peer messenger: end-to-end encrypted rooms, "
            "no phone number, no account."
        ),
        "lang": "en",
        "dir": "ltr",
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "categories": ["social", "communication"],
        "icons": [
            {
                "src": static(path),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for path, size, purpose in ICONS
        ],
    }
