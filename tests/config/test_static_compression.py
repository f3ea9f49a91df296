"""Static files in production: collectstatic writes a compressed copy that WhiteNoise serves
to a browser that accepts it (the code editor's bundle went out uncompressed, 417 KB)."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from whitenoise.middleware import WhiteNoiseMiddleware


def test_the_editor_bundle_is_served_gzipped_after_collectstatic(settings, tmp_path: Path):
    settings.STATIC_ROOT = tmp_path
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", "--no-input", verbosity=0)
    bundle = tmp_path / "code-editor" / "code-editor.min.js"
    compressed = bundle.with_name(bundle.name + ".gz")
    assert compressed.stat().st_size < bundle.stat().st_size / 2

    served = WhiteNoiseMiddleware(get_response=lambda request: None)
    static_file = served.files["/static/code-editor/code-editor.min.js"]
    headers = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
    path, response_headers = static_file.get_path_and_headers(headers)
    assert path == str(compressed)
    assert ("Content-Encoding", "gzip") in list(response_headers)
