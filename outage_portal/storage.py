"""Static files in production: whitenoise's compressed, hashed (manifest) storage.

The vendored minified files (static/vendor) keep their ``sourceMappingURL`` comments but ship without the maps;
those references are left as written instead of failing ``collectstatic``. Every other missing reference still
fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from re import Match
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class PortalStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(
        self, name: str, hashed_files: dict[str, Any], template: str | None = None
    ) -> Callable[[Match[str]], str]:
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj: Match[str]) -> str:
            try:
                return convert(matchobj)
            except ValueError:
                groups = matchobj.groupdict()
                if groups.get("url", "").strip().endswith(".map"):
                    return groups["matched"]
                raise

        return converter
