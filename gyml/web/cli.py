"""`gyml serve`, registered in gyml/cli.py; the web stack is imported only when the command runs."""

from __future__ import annotations

from pathlib import Path

import typer


def serve(host: str = typer.Option("127.0.0.1", help="address to listen on; any other than this machine's "
                                   "own needs --token"),
          port: int = typer.Option(8000, help="port to listen on"),
          data: Path | None = typer.Option(None, help="folder for uploads, results and the database "
                                           "(default: $GYML_DATA or ~/.local/share/gyml/serve)"),
          database: str | None = typer.Option(None, help="SQLAlchemy database URL (default: SQLite in --data)"),
          token: str | None = typer.Option(None, help="access token every request must carry "
                                           "(default: $GYML_TOKEN)"),
          workers: int | None = typer.Option(None, help="analysis worker processes (default: half the cores)"),
          max_upload_mb: float | None = typer.Option(None, help="upload size limit in MB (default: "
                                                     "$GYML_MAX_UPLOAD_MB or 500)")):
    """Serve the web app: upload a video or pose file and get it coached, with a history; live coaching
    from the browser's camera."""
    import uvicorn

    from gyml.errors import GymlError
    from gyml.web.app import create_app
    from gyml.web.settings import WebSettings

    if not 0 <= port <= 65535:
        raise GymlError(f"cannot serve on port {port}: a port is 0-65535")
    check_port_free(host, port)   # before the banner: uvicorn would print it, then its own error, exit 3
    settings = WebSettings.build(data, database, token, max_upload_mb, workers, host)
    app = create_app(settings)
    typer.echo(f"gyml serving at http://{shown_host(host)}:{port}/ (data in {settings.data_dir}, "
               f"{settings.workers} worker{'s' if settings.workers != 1 else ''})")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_max_size=4 * 1024 * 1024)


def shown_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program listens on (or one this user may not take), by binding
    to it as uvicorn will (SO_REUSEADDR: a port whose last connections are closing is free) and letting go.
    Other failures are left to uvicorn to report."""
    import errno
    import socket

    from gyml.errors import GymlError

    if port == 0:   # any free port
        return
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        return
    shown = shown_host(host)
    for family, kind, proto, _name, address in addresses:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise GymlError(f"port {port} on {shown} is already in use - choose another with --port") from None
            if exc.errno == errno.EACCES:
                raise GymlError(f"cannot serve on port {port} on {shown}: permission denied (ports below 1024 "
                                "need privileges) - choose another with --port") from None
