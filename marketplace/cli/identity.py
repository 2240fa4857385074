"""bourse signup | login | me | password | logout [--everywhere] | operator create
| operator grant | org list | org verify | org grant | org suspend | org reinstate

Tokens are stored per exchange URL by ``marketplace.cli.common``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketplace.cli.common import (
    UrlOption,
    exchange_client,
    exchange_url,
    fail,
    read_credentials,
    write_credentials,
)
from marketplace.client import Databourse, DatabourseClientError

console = Console()
err = Console(stderr=True)
operator_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
org_app = typer.Typer(
    help="Organisations: list, verify (KYC done), grant roles, suspend, reinstate (operators).",
    no_args_is_help=True,
)


def _store(base: str, token: str) -> None:
    tokens = read_credentials()
    tokens[base] = token
    write_credentials(tokens)


def signup(
    *,
    email: Annotated[str, typer.Option(help="Your email (your login name).")],
    organization: Annotated[
        str | None, typer.Option(help="Name of the new organisation you will administer.")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="supplier and/or buyer (repeatable).")
    ] = None,
    invite: Annotated[str | None, typer.Option(help="An invite code, to join instead.")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    url: UrlOption = None,
) -> None:
    """Create an account (and organisation) and log in."""
    if (organization is None) == (invite is None):
        err.print("give either --organization (with --role) or --invite")
        raise typer.Exit(2)
    with exchange_client(url, authenticated=False) as bourse:
        try:
            issued = bourse.identity.signup(
                email, password, organization=organization, roles=role, invite_code=invite
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _store(bourse.base_url, issued.access_token)
    console.print(f"signed up; your address is [bold]{issued.account.address}[/bold]")


def login(
    email: Annotated[str, typer.Option(help="Your email.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    url: UrlOption = None,
) -> None:
    """Log in with email and password; the token is kept for later commands."""
    with exchange_client(url, authenticated=False) as bourse:
        try:
            issued = bourse.identity.login(email, password)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
        _store(bourse.base_url, issued.access_token)
    console.print(f"logged in until {issued.expires_at:%Y-%m-%d %H:%M} UTC")


def password(
    *,
    current: Annotated[
        str,
        typer.Option(
            "--current-password", prompt="Current password", hide_input=True, show_default=False
        ),
    ],
    new: Annotated[
        str,
        typer.Option(
            "--new-password",
            prompt="New password",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
        ),
    ],
    url: UrlOption = None,
) -> None:
    """Change your password (prompted, not echoed). Every other session of your account is
    logged out; this one stays logged in."""
    with exchange_client(url) as bourse:
        try:
            changed = bourse.identity.change_password(current, new)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    others = changed.other_tokens_revoked
    console.print(
        f"password changed; {others} other session{'' if others == 1 else 's'} logged out"
    )


def me(url: UrlOption = None) -> None:
    """Show your account, organisation and what you may do."""
    with exchange_client(url) as bourse:
        try:
            who = bourse.identity.me()
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    table = Table(show_header=False, box=None)
    table.add_row("account", f"{who.account.id} {who.account.email or ''}")
    table.add_row(
        "address", who.account.address + (" (custodial)" if who.account.custodial else "")
    )
    org = who.organization
    table.add_row("organisation", f"{org.id} {org.name} ({who.membership_role})")
    table.add_row("roles", ", ".join(org.roles) or "none")
    table.add_row("verified", "yes" if org.verified else "no: an operator must verify it")
    table.add_row("may list", "yes" if who.can_list else "no")
    table.add_row("may buy", "yes" if who.can_buy else "no")
    console.print(table)


def logout(
    *,
    everywhere: Annotated[
        bool,
        typer.Option(
            "--everywhere",
            help="Revoke every token of your account (every device, any stolen one), not only "
            "this one.",
        ),
    ] = False,
    url: UrlOption = None,
) -> None:
    """Revoke your token and forget it; with --everywhere, every token of your account."""
    base = exchange_url(url)
    tokens = read_credentials()
    token = tokens.pop(base, None)
    if token is None:
        console.print("not logged in")
        if everywhere:
            err.print("log in first, then run [bold]bourse logout --everywhere[/bold]")
            raise typer.Exit(1)
        return
    with Databourse(base, token=token) as bourse:
        if everywhere:
            _logout_everywhere(bourse, tokens)
            return
        try:
            bourse.identity.logout()
        except DatabourseClientError as exc:
            if exc.status != 401:  # an expired or revoked token is as good as logged out
                raise fail(exc) from exc
    write_credentials(tokens)
    console.print("logged out")


def _logout_everywhere(bourse: Databourse, tokens: dict[str, str]) -> None:
    """Every token of the account revoked, then the stored one forgotten. A stored token that no
    longer works revokes nothing: that is an error, not a success."""
    try:
        ended = bourse.identity.logout_everywhere()
    except DatabourseClientError as exc:
        if exc.status == 401:
            write_credentials(tokens)  # it is of no use any more
            err.print(
                f"[red]{exc.code}[/red]: {exc.message}; nothing was revoked: log in, then run "
                "[bold]bourse logout --everywhere[/bold] again"
            )
            raise typer.Exit(1) from exc
        raise fail(exc) from exc
    write_credentials(tokens)
    n = ended.tokens_revoked
    console.print(f"logged out everywhere: {n} session{'' if n == 1 else 's'} ended")


@operator_app.command("create")
def operator_create(
    email: Annotated[str, typer.Option(help="The operator's email (login name).")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    organization: Annotated[
        str, typer.Option(help="The operator organisation's name.")
    ] = "Databourse operations",
) -> None:
    """Create an operator account directly in DATABOURSE_DATABASE_URL (bootstrap: nobody can
    grant the first operator role over HTTP)."""
    from pydantic import ValidationError

    from ledger.models import utc_now
    from marketplace.db import make_engine, unit_of_work
    from marketplace.errors import DatabourseError
    from marketplace.identity import passwords, service
    from marketplace.identity.schemas import LoginRequest, OrganizationCreate
    from marketplace.migrations import upgrade_embedded
    from marketplace.settings import get_settings

    try:
        LoginRequest(email=email, password=password)
        OrganizationCreate(name=organization, roles=["buyer"])  # checks the name
        passwords.check_length(password)
    except (ValidationError, ValueError) as exc:
        err.print(f"[red]invalid input[/red]: {exc}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade_embedded(engine)
        with unit_of_work(engine) as session:
            account = service.create_operator(
                session,
                settings,
                email=email,
                password=password,
                organization_name=organization,
                now=utc_now(),
            )
    except DatabourseError as exc:
        err.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    console.print(
        f"operator account {account.id} created in organisation {account.organization_id}; "
        f"address {account.address}. Log in with [bold]bourse login --email {email}[/bold]"
    )


@operator_app.command("grant")
def operator_grant(
    organization_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    role: Annotated[str, typer.Option(help="The role to grant.")] = "operator",
) -> None:
    """Grant a role directly in DATABOURSE_DATABASE_URL, on the exchange's server. The operator
    role is granted only this way, never over HTTP."""
    from marketplace.db import make_engine, unit_of_work
    from marketplace.errors import DatabourseError
    from marketplace.identity import service
    from marketplace.principal import OrgRole
    from marketplace.settings import get_settings

    try:
        wanted = OrgRole(role)
    except ValueError as exc:
        err.print(f"[red]invalid input[/red]: role must be one of {', '.join(OrgRole)}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            org = service.grant_role_on_server(session, settings, organization_id, wanted)
    except DatabourseError as exc:
        err.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    console.print(f"organisation {org.id} ({org.name}) now holds: {', '.join(org.roles)}")


@org_app.command("verify")
def org_verify(
    organization_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    url: UrlOption = None,
) -> None:
    """Mark an organisation verified (real-name/KYC done), so it may list or buy."""
    with exchange_client(url) as bourse:
        try:
            org = bourse.identity.verify_organization(organization_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"organisation {org.id} ({org.name}) is verified; roles: {', '.join(org.roles)}")


@org_app.command("list")
def org_list(
    *,
    unverified: Annotated[
        bool, typer.Option("--unverified", help="Only those waiting for verification.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    url: UrlOption = None,
) -> None:
    """List organisations with their roles and whether they are verified."""
    with exchange_client(url) as bourse:
        try:
            page = bourse.identity.organizations(
                verified=False if unverified else None, limit=limit, offset=offset
            )
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    table = Table("id", "name", "roles", "verified", "suspended")
    for org in page.items:
        table.add_row(
            str(org.id),
            org.name,
            ", ".join(org.roles),
            "yes" if org.verified else "no",
            f"yes: {org.suspension_reason}" if org.suspended else "no",
        )
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


@org_app.command("grant")
def org_grant(
    organization_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    role: Annotated[str, typer.Argument(help="supplier | buyer | arbitrator | valuer | operator")],
    url: UrlOption = None,
) -> None:
    """Grant an organisation a role (arbitrator and valuer only ever come this way)."""
    with exchange_client(url) as bourse:
        try:
            org = bourse.identity.grant_role(organization_id, role)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"organisation {org.id} ({org.name}) now has roles: {', '.join(org.roles)}")


@org_app.command("suspend")
def org_suspend(
    organization_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    reason: Annotated[
        str, typer.Option(help="Why (written to the public journal: no personal data).")
    ],
    url: UrlOption = None,
) -> None:
    """Suspend an organisation: its accounts' sessions end, and they may not log in or act
    until it is reinstated. Its orders' settlements and disputes go on."""
    with exchange_client(url) as bourse:
        try:
            org = bourse.identity.suspend_organization(organization_id, reason)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"organisation {org.id} ({org.name}) is suspended: {org.suspension_reason}")


@org_app.command("reinstate")
def org_reinstate(
    organization_id: Annotated[int, typer.Argument(help="The organisation's id.")],
    url: UrlOption = None,
) -> None:
    """Lift an organisation's suspension; its members log in again."""
    with exchange_client(url) as bourse:
        try:
            org = bourse.identity.reinstate_organization(organization_id)
        except DatabourseClientError as exc:
            raise fail(exc) from exc
    console.print(f"organisation {org.id} ({org.name}) is reinstated")


def register(app: typer.Typer) -> None:
    app.command("signup")(signup)
    app.command("login")(login)
    app.command("me")(me)
    app.command("password")(password)
    app.command("logout")(logout)
    app.add_typer(org_app, name="org")
    app.add_typer(operator_app, name="operator")
