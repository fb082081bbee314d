"""`pantau user ...` and `pantau token ...` against a freshly migrated database of each dialect."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pantau.auth.passwords import verify_password
from pantau.auth.sessions import start_session
from pantau.auth.tokens import issue_token
from pantau.cli.main import app
from pantau.core.config import get_settings
from pantau.core.database import reset_cached_database
from pantau.migrations.runner import upgrade
from pantau.models import ApiToken, AuthSession, User
from pantau.web.app import create_app
from tests.conftest import make_settings
from tests.support.auth import PASSWORD, sign_in
from tests.support.builders import Dataset
from tests.support.databases import engine_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cli_engine(fresh_database_url, monkeypatch) -> Iterator[Engine]:
    """The CLI's database (through DATABASE_URL, as an operator sets it), and an engine for the test to look in."""
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ENVIRONMENT", "development")
    reset_cached_database()
    yield engine
    reset_cached_database()
    engine.dispose()


def pantau(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def seed(engine: Engine, build) -> None:
    """Write rows before the command runs: `build(db)` with an ORM session, committed."""
    with Session(engine, expire_on_commit=False) as db, db.begin():
        build(db)


def users_by_email(engine: Engine) -> dict[str, User]:
    with Session(engine) as db:
        return {user.email: user for user in db.scalars(select(User))}


def test_user_create_stores_an_active_user_with_a_uuid_and_a_password_hash(cli_engine):
    result = pantau(
        "user",
        "create",
        "--email",
        "Sri@Example.com",
        "--name",
        "Sri Wahyuni",
        "--role",
        "supervisor",
        "--password",
        "long enough",
    )

    assert result.exit_code == 0, result.output
    sri = users_by_email(cli_engine)["Sri@example.com"]
    assert result.stdout == f"created supervisor Sri@example.com (id {sri.id})\n"
    assert uuid.UUID(sri.id).version == 4
    assert (sri.full_name, sri.role, sri.team_id, sri.is_active) == ("Sri Wahyuni", "supervisor", None, True)
    assert verify_password(sri.password_hash, "long enough")


@pytest.mark.parametrize("address", ["owner@corp.local", "ops@shop.test", "it@intranet"])
def test_an_address_on_a_company_s_own_domain_can_be_created_and_sign_in(cli_engine, address):
    """Special-use and dot-less domains are delivered by a company's own mail server."""
    result = pantau("user", "create", "--email", address, "--name", "Owner", "--role", "owner", "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert list(users_by_email(cli_engine)) == [address]
    web = create_app(settings=make_settings(cli_engine.url.render_as_string(hide_password=False)), engine=cli_engine)
    with TestClient(web) as client:
        assert sign_in(client, address).status_code == 303


def test_user_create_asks_for_the_password_twice_when_not_given(cli_engine):
    seed(cli_engine, lambda db: Dataset(db.connection()).make_team("Sales", id="sales"))

    result = pantau(
        "user",
        "create",
        "--email",
        "ana@example.com",
        "--name",
        "Ana",
        "--role",
        "agent",
        "--team",
        "sales",
        input="long enough\nlong enough\n",
    )

    assert result.exit_code == 0, result.output
    assert "long enough" not in result.output
    ana = users_by_email(cli_engine)["ana@example.com"]
    assert ana.team_id == "sales"
    assert verify_password(ana.password_hash, "long enough")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--role", "boss"], "error: unknown role 'boss'; valid roles: agent, supervisor, manager, owner, admin\n"),
        (["--team", "nope"], "error: no team has the id 'nope'\n"),
        (["--password", "short"], "error: the password must have at least 8 characters\n"),
        (["--email", "not-an-address"], "error: 'not-an-address' is not a valid e-mail address: "),
    ],
)
def test_user_create_refuses_bad_input_with_a_clear_message_and_no_user(cli_engine, options, message):
    defaults = {"--email": "ana@example.com", "--name": "Ana", "--role": "agent", "--password": "long enough"}
    defaults.update(dict(zip(options[::2], options[1::2], strict=True)))

    result = pantau("user", "create", *[part for pair in defaults.items() for part in pair])

    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output
    assert users_by_email(cli_engine) == {}


def test_user_create_refuses_an_email_already_in_use_in_any_letter_case(cli_engine):
    seed(cli_engine, lambda db: Dataset(db.connection()).make_user("agent", id="ana", email="ana@example.com"))

    result = pantau(
        "user", "create", "--email", "ANA@example.com", "--name", "Ana", "--role", "agent", "--password", "long enough"
    )

    assert result.exit_code == 1
    assert result.stderr == "error: a user with the e-mail ana@example.com already exists (id ana)\n"


def test_user_list_shows_every_user_as_a_table(cli_engine):
    def build(db):
        data = Dataset(db.connection())
        data.make_team("Sales", id="sales")
        data.make_user("supervisor", id="sri", name="Sri Wahyuni", email="sri@example.com", team="sales")
        data.make_user("agent", id="ana", name="Ana", email="ana@example.com", is_active=False)

    seed(cli_engine, build)

    result = pantau("user", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "id   email            name         role        team   active",
        "ana  ana@example.com  Ana          agent       -      no",
        "sri  sri@example.com  Sri Wahyuni  supervisor  sales  yes",
    ]


def ana_signed_in_with_a_token(db: Session) -> None:
    Dataset(db.connection()).make_user("agent", id="ana", email="ana@example.com")
    ana = db.get(User, "ana")
    start_session(db, get_settings(), ana, address="10.0.0.1", user_agent=None, now=datetime.now(UTC))
    issue_token(db, ana, "script", NOW)


def test_set_password_replaces_the_hash_and_ends_the_user_s_sessions(cli_engine):
    seed(cli_engine, ana_signed_in_with_a_token)

    result = pantau("user", "set-password", "--email", "ana@example.com", input="a new password\na new password\n")

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("password of ana@example.com changed; 1 open session(s) ended\n")
    assert verify_password(users_by_email(cli_engine)["ana@example.com"].password_hash, "a new password")


def test_deactivate_refuses_the_user_ends_their_sessions_and_revokes_their_tokens(cli_engine):
    seed(cli_engine, ana_signed_in_with_a_token)

    result = pantau("user", "deactivate", "--email", "ana@example.com")

    assert result.exit_code == 0, result.output
    assert result.stdout == "ana@example.com deactivated; 1 open session(s) ended, 1 API token(s) revoked\n"
    with Session(cli_engine) as db:
        assert db.scalar(select(User.is_active)) is False
        assert db.scalar(select(AuthSession.ended_at)) is not None
        assert db.scalar(select(ApiToken.revoked_at)) is not None


def test_an_unknown_email_is_a_clear_error(cli_engine):
    result = pantau("user", "deactivate", "--email", "nobody@example.com")

    assert result.exit_code == 1
    assert result.stderr == "error: no user has the e-mail nobody@example.com\n"


def test_token_create_prints_the_token_once_and_stores_only_its_hash(cli_engine):
    seed(cli_engine, lambda db: Dataset(db.connection()).make_user("owner", id="olga", email="olga@example.com"))

    result = pantau("token", "create", "--email", "olga@example.com", "--name", "nightly export")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pt_")
    assert "it will not be shown again" in result.stderr
    with Session(cli_engine) as db:
        record = db.scalars(select(ApiToken)).one()
    assert (record.user_id, record.name, record.prefix) == ("olga", "nightly export", token[:11])
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_token_create_refuses_a_deactivated_user(cli_engine):
    seed(
        cli_engine,
        lambda db: Dataset(db.connection()).make_user("owner", id="olga", email="olga@example.com", is_active=False),
    )

    result = pantau("token", "create", "--email", "olga@example.com")

    assert result.exit_code == 1
    assert result.stderr == "error: olga@example.com is deactivated; a token of theirs would not work\n"


def two_users_with_tokens(db: Session) -> None:
    data = Dataset(db.connection())
    data.make_user("owner", id="olga", email="olga@example.com")
    data.make_user("agent", id="ana", email="ana@example.com")
    issue_token(db, db.get(User, "olga"), "nightly export", NOW)
    issue_token(db, db.get(User, "ana"), "phone app", NOW)


def test_token_list_shows_prefixes_never_tokens_and_filters_by_user(cli_engine):
    seed(cli_engine, two_users_with_tokens)
    with Session(cli_engine) as db:
        olga_prefix = db.scalar(select(ApiToken.prefix).where(ApiToken.user_id == "olga"))

    result = pantau("token", "list", "--email", "olga@example.com")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "id  prefix        name            permission  user              created               last used  status",
        f"1   {olga_prefix}…  nightly export  read        olga@example.com  2026-03-02 09:00 UTC  -          active",
    ]


@pytest.mark.parametrize("reference", ["id", "prefix", "listed prefix"])
def test_token_revoke_takes_the_id_or_the_prefix(cli_engine, reference):
    seed(cli_engine, two_users_with_tokens)
    with Session(cli_engine) as db:
        olga_token = db.scalars(select(ApiToken).where(ApiToken.user_id == "olga")).one()
    argument = {"id": str(olga_token.id), "prefix": olga_token.prefix, "listed prefix": olga_token.prefix + "…"}[
        reference
    ]

    result = pantau("token", "revoke", argument)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"API token {olga_token.prefix}… (id {olga_token.id}) revoked\n"
    with Session(cli_engine) as db:
        revoked = dict(db.execute(select(ApiToken.user_id, ApiToken.revoked_at.is_not(None))).all())
    assert revoked == {"olga": True, "ana": False}


def test_token_revoke_of_an_unknown_token_is_a_clear_error(cli_engine):
    result = pantau("token", "revoke", "pt_unknown")

    assert result.exit_code == 1
    assert result.stderr == "error: no API token has the id or prefix 'pt_unknown'; see `pantau token list`\n"


def test_commands_on_an_unmigrated_database_say_to_migrate(fresh_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    reset_cached_database()
    try:
        result = pantau("user", "list")
    finally:
        reset_cached_database()

    assert result.exit_code == 1
    assert "run `pantau migrate`" in result.stderr
    assert "Traceback" not in result.output
