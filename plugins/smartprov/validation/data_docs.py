"""Great Expectations Data Docs for one run: safe to open, and open without a network.

Two things GX 1.24 does not do for us:

- **Escape workbook values.** Its page templates write the values a validation result carries
  (the partial lists and counts of unexpected values, observed values) into the HTML as they
  are: a rejected cell holding `<script>…</script>` would run in the browser of whoever opens
  the pages the digest links to. `escape_result` HTML-escapes every string of a result before
  it is stored for Data Docs (the findings have been built from the raw result by then).
- **Work offline.** Its pages load Bootstrap, jQuery, bootstrap-table, Font Awesome, Vega and
  a logo from public CDNs (there is no setting to inline them). The same files, pinned and
  taken from the npm registry (see `data_docs_assets/VENDORED.md`), are copied into each site
  under `static/vendor/`, and every page is rewritten to load them by relative path, so a site
  copied anywhere opens from disk.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SITE_NAME = "smartprov"
ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
VENDOR_DIR = Path("static") / "vendor"

# CDN address GX 1.24 writes -> file under static/vendor/ (pinned versions: VENDORED.md).
CDN_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark/bootstrap-prefers-dark.css"
    ),
}
# GX's logo comes from its S3 bucket; the site's own static/images has the same picture.
LOGO_URL = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[A-Za-z_-]+\.png(\?[^\"')\s]*)?"
)
LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
LOCAL_TAG = re.compile(r"<(?:script|link)\b[^>]*static/vendor/[^>]*>")
SRI_ATTRIBUTE = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
# What a page still fetches from the network after the rewrite (links people click are fine).
REMOTE_FETCH = re.compile(
    r"<(?:script|img|link|source|iframe)\b[^>]*\b(?:src|href|srcset)\s*=\s*[\"']?(?:https?:)?//[^\"'\s>]+"
    r"|url\(\s*[\"']?(?:https?:)?//[^)]+\)",
    re.IGNORECASE,
)


def escape_result(result: Any) -> None:
    """HTML-escape, in place, every string a GX validation result holds in its `result` entries."""
    for r in result.results:
        r.result = _escaped(dict(r.result))


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def write_site(context: Any, site_dir: Path) -> Path:
    """Build the Data Docs of `context`'s stored results into `site_dir`, make them offline; return index.html."""
    site_dir = Path(site_dir).resolve()
    site_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
    }
    if SITE_NAME in (context.list_data_docs_sites() or {}):
        context.update_data_docs_site(SITE_NAME, config)
    else:
        context.add_data_docs_site(SITE_NAME, config)
    context.build_data_docs(site_names=[SITE_NAME])
    index = site_dir / "index.html"
    if not index.is_file():
        raise RuntimeError(f"GX did not write {index}")
    make_offline(site_dir)
    return index


def make_offline(site_dir: Path) -> list[tuple[Path, str]]:
    """Copy the vendored assets into the site and point every page at them.

    Returns (page, address) for anything a page would still fetch from the network (logged:
    a new GX version may add a CDN file that needs vendoring too)."""
    site_dir = Path(site_dir)
    shutil.copytree(ASSETS_DIR, site_dir / VENDOR_DIR, dirs_exist_ok=True)
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        rewritten = rewrite_page(text, site_dir, page)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
    remaining = remote_fetches(site_dir)
    for page, address in remaining:
        log.warning("Data Docs page %s still loads %s from the network", page, address)
    return remaining


def rewrite_page(text: str, site_dir: Path, page: Path) -> str:
    def relative(target: Path) -> str:
        return Path(os.path.relpath(site_dir / target, page.parent)).as_posix()

    for url, local in CDN_FILES.items():
        text = text.replace(f'"{url}"', f'"{relative(VENDOR_DIR / local)}"')
    # `crossorigin` makes a file:// load a CORS request, which browsers refuse; the integrity
    # hashes GX gives match the vendored files (a test checks them), so dropping them loses nothing.
    text = LOCAL_TAG.sub(lambda m: SRI_ATTRIBUTE.sub("", m.group(0)), text)
    return LOGO_URL.sub(relative(LOCAL_LOGO), text)


def remote_fetches(site_dir: Path) -> list[tuple[Path, str]]:
    """(page, address) of everything the site's pages would load from the network."""
    return [
        (page, m.group(0))
        for page in Path(site_dir).rglob("*.html")
        for m in REMOTE_FETCH.finditer(page.read_text(encoding="utf-8"))
    ]
