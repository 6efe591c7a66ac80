"""Local web users, roles, argon2 passwords, API tokens and signed session cookies.

Users live in the workspace DuckDB table ``web_users`` (declared in ``store/schema.py`` APP_TABLES:
it is not imported data). Roles, from least to most power:

- ``viewer``: reads every page and GET endpoint;
- ``responder``: + inbox actions (assign, reply drafts, mark replied, ignore, escalate, reopen, label);
- ``analyst``: everything except user administration (+ the abuse triage queue, reply templates, uploads);
- ``admin``: everything, including user administration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hudong.errors import HudongError
from hudong.store import schema as S

ROLES = ("viewer", "responder", "analyst", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "inbox": frozenset({"responder", "analyst", "admin"}),
    "analyze": frozenset({"analyst", "admin"}),
    "triage": frozenset({"analyst", "admin"}),  # abusive messages: kept away from other staff
    "templates": frozenset({"analyst", "admin"}),  # manage reply templates
    "upload": frozenset({"analyst", "admin"}),  # import files from the browser
    "users": frozenset({"admin"}),
}
MIN_PASSWORD = 8
MAX_NAME = 64
TOKEN_PREFIX = "hd_"

DDL = (S.ddl(S.APP_TABLES["web_users"]),)  # declared in store/schema.py

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise HudongError(f"user name must be 1–{MAX_NAME} printable characters")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise HudongError(f"password must have at least {MIN_PASSWORD} characters")
    return password


def add_user(con: duckdb.DuckDBPyConnection, name: str, role: str, password: str) -> User:
    """Create a user (error if the name exists)."""
    ensure_tables(con)
    name = _check_name(name)
    if role not in ROLES:
        raise HudongError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    check_password(password)
    if con.execute("SELECT 1 FROM web_users WHERE name = ?", [name]).fetchone():
        raise HudongError(f"user {name!r} already exists")
    con.execute(
        "INSERT INTO web_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
        [name, role, _hasher.hash(password), dt.datetime.now(dt.UTC).replace(tzinfo=None)],
    )
    return User(name, role)


@dataclass(frozen=True)
class AdminSetup:
    """What ``ensure_admin`` did: ``created`` the user ``name``; ``generated`` = its new random password (to show
    once), None when it was given or no user was created."""

    name: str
    created: bool
    generated: str | None = None


def ensure_admin(con: duckdb.DuckDBPyConnection, name: str = "admin", password: str | None = None) -> AdminSetup:
    """Make sure the workspace has an enabled admin: if none exists, create ``name`` with ``password`` (or a
    random one, returned once; only its hash is stored). An existing admin is left as it is."""
    ensure_tables(con)
    row = con.execute("SELECT name FROM web_users WHERE role = 'admin' AND NOT disabled ORDER BY name").fetchone()
    if row:
        return AdminSetup(row[0], created=False)
    generated = None if password is not None else secrets.token_urlsafe(12)
    user = add_user(con, name, "admin", password if password is not None else generated)
    return AdminSetup(user.name, created=True, generated=generated)


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    ensure_tables(con)
    rows = con.execute(
        "SELECT name, role, created_at, token_hash IS NOT NULL, disabled FROM web_users ORDER BY name"
    ).fetchall()
    return [dict(name=r[0], role=r[1], created_at=r[2], has_token=r[3], disabled=r[4]) for r in rows]


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = con.execute("SELECT name, role FROM web_users WHERE name = ? AND NOT disabled", [name]).fetchone()
    return User(row[0], row[1]) if row else None


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str) -> User | None:
    """The user if the password matches, else None (constant work whether or not the name exists)."""
    row = con.execute(
        "SELECT name, role, password_hash FROM web_users WHERE name = ? AND NOT disabled", [name]
    ).fetchone()
    try:
        _hasher.verify(row[2] if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(row[0], row[1]) if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Issue a new API token for ``name`` (replacing the old one); only its hash is stored."""
    ensure_tables(con)
    if not con.execute("SELECT 1 FROM web_users WHERE name = ?", [name]).fetchone():
        raise HudongError(f"no user {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    con.execute("UPDATE web_users SET token_hash = ? WHERE name = ?", [_token_hash(token), name])
    return token


def user_for_token(con: duckdb.DuckDBPyConnection, token: str) -> User | None:
    row = con.execute(
        "SELECT name, role FROM web_users WHERE token_hash = ? AND NOT disabled", [_token_hash(token)]
    ).fetchone()
    return User(row[0], row[1]) if row else None


def session_secret(workspace_key: bytes) -> bytes:
    """The cookie-signing key, derived from the workspace secret (never the secret itself)."""
    return hmac.new(workspace_key, b"hudong-web-session-v1", hashlib.sha256).digest()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
