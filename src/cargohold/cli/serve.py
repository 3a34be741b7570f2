"""Starting the server: prepare the data directory once, then run the worker processes.

On SIGHUP the server process and every worker read the settings again (defaults, config
file, environment, flags, as at the start) and apply those that can change live: the log
level, the log format and the access log switch; and they read the TLS certificate and key
again. Everything else needs a restart.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable

import click

from cargohold import logs
from cargohold.app import create_app, prepare, worker_exited
from cargohold.core.errors import DatabaseUnavailable
from cargohold.server import CertificateError, Certificates, Timeouts, bind, serve
from cargohold.settings import Settings, SettingsError

log = logging.getLogger("cargohold.server")


def server_timeouts(settings: Settings) -> Timeouts:
    """The server's timeouts, its own defaults where the settings leave one unset."""
    chosen = {
        "read": settings.read_timeout,
        "write": settings.write_timeout,
        "keep_alive": settings.keep_alive_timeout,
    }
    return Timeouts(**{name: value for name, value in chosen.items() if value is not None})


def certificates(settings: Settings) -> Certificates | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    try:
        return Certificates(settings.tls_cert, settings.tls_key)
    except CertificateError as exc:
        raise click.ClickException(str(exc)) from exc


def live_reload(load: Callable[[], Settings]) -> Callable[[], None]:
    """What SIGHUP runs in each process: the settings read again, logging set up anew."""

    def reload() -> None:
        try:
            settings = load()
        except SettingsError as exc:
            log.error("SIGHUP: the settings cannot be read again (%s); nothing changed", exc)
            return
        logs.configure(settings)

    return reload


def run(settings: Settings, load: Callable[[], Settings] | None = None) -> int:
    """Serve with ``settings``; ``load`` reads them again on SIGHUP (without it, a SIGHUP
    only reloads the TLS files)."""
    logs.configure(settings)
    tls = certificates(settings)
    try:
        bootstrap = prepare(settings)
    except OSError as exc:
        raise click.ClickException(f"cannot use data directory {settings.data_dir}: {exc}") from exc
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {settings.listen}: {exc.strerror}") from exc
    url = f"{'https' if tls else 'http'}://{settings.listen}"
    click.echo(f"cargohold listening on {url} (data in {settings.data_dir.resolve()})")
    if bootstrap.created_repositories:
        click.echo(f"created repositories: {', '.join(bootstrap.created_repositories)}")
    if bootstrap.generated_password is not None:
        click.echo(
            f"bootstrap admin: user {settings.admin_user!r}, password "
            f"{bootstrap.generated_password!r} "
            "(shown once; set CARGOHOLD_ADMIN_PASSWORD to choose it)"
        )
    click.echo(f"log in: docker login {settings.listen} -u {settings.admin_user}")
    click.echo(f"        cargohold login {url} --username {settings.admin_user}")
    click.echo(f"REST API: {url}/api/v1/ (OpenAPI at {url}/api/v1/openapi.json)")
    sys.stdout.flush()  # the banner must show before the server runs, even through a pipe
    app = functools.partial(create_app, settings)
    return serve(
        app,
        sock,
        settings.worker_count,
        server_timeouts(settings),
        tls=tls,
        reload=live_reload(load) if load is not None else None,
        grace=settings.drain_timeout,
        on_exit=worker_exited(settings),
    )


__all__ = ["certificates", "live_reload", "run", "server_timeouts"]
