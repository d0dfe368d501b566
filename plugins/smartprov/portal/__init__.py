"""The regency portal: check a workbook before sending it, send it, and see where you stand.

A face of the pipeline like the CLI and the DAGs (`smartprov portal` starts it): it calls
`smartprov.run.check` for every check, writes sends into the landing zone that intake
reads, and reads status from the warehouse's ledger and marts. Its own tables (users,
sessions, tokens, audit log) live in schema `portal` (`portal.store`). See docs/portal.md.
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8600


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the portal with uvicorn in this process (one worker: DuckDB has one writer)."""
    import uvicorn

    from smartprov.portal.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info", proxy_headers=True, server_header=False)
