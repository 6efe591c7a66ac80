"""Local web users, roles, argon2 passwords, API tokens, user administration and the security audit log.

Users live in the workspace DuckDB table ``web_users`` (declared in ``store/schema.py`` APP_TABLES:
it is not imported data). Roles, from least to most power:

- ``viewer``: reads every page and GET endpoint;
- ``responder``: + inbox actions (assign, reply drafts, mark replied, ignore, escalate, reopen, label);
- ``analyst``: everything except user administration (+ the abuse triage queue, reply templates, uploads);
- ``admin``: everything, including user administration.

User administration (add, disable, enable, remove, reset a password, change a role; a user changes their own
password with the current one) is here, for the CLI (``hudong user …``) and the /users page alike. The last
enabled admin can be neither disabled, removed nor demoted. A password change or reset, disabling or removing a
user ends all of that user's sessions (``web/sessions.py``). Each of these, every sign-in (ok, failed, lockout),
sign-out and API token issued is appended to ``security_events`` (``record_event``; never a password or token).
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

from hudong.connectors.outbox import APPROVERS
from hudong.errors import HudongError
from hudong.store import schema as S

from . import sessions

ROLES = ("viewer", "responder", "analyst", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "inbox": frozenset({"responder", "analyst", "admin"}),
    "analyze": frozenset({"analyst", "admin"}),
    "triage": frozenset({"analyst", "admin"}),  # abusive messages: kept away from other staff
    "templates": frozenset({"analyst", "admin"}),  # manage reply templates
    "upload": frozenset({"analyst", "admin"}),  # import files from the browser
    "approve": frozenset(APPROVERS),  # outbox actions queued by roles that need approval ([outbox] approval)
    "plan": frozenset({"responder", "analyst", "admin"}),  # the content calendar (approving it: "approve")
    "users": frozenset({"admin"}),  # also the audit logs (security, outbox)
}
MIN_PASSWORD = 8
MAX_NAME = 64
TOKEN_PREFIX = "hd_"

DDL = (S.ddl(S.APP_TABLES["web_users"]), S.ddl(S.APP_TABLES["security_events"]))  # declared in store/schema.py
EVENTS = (
    "login_ok",
    "login_failed",
    "lockout",
    "logout",
    "password_changed",  # by the user, with the current password
    "password_reset",  # by an admin or the CLI
    "user_added",
    "user_disabled",
    "user_enabled",
    "user_removed",
    "role_changed",
    "token_issued",
)
CLI = "cli"  # the actor of changes made with `hudong user …`

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
    sessions.ensure_tables(con)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# ---- audit log ----------------------------------------------------------------------------------------
def record_event(
    con: duckdb.DuckDBPyConnection,
    event: str,
    user_name: str | None,
    actor: str | None,
    client: str = "",
    detail: str = "",
    at: dt.datetime | None = None,
) -> None:
    """Append one security event (append-only: nothing updates or deletes these rows)."""
    if event not in EVENTS:
        raise ValueError(f"unknown security event {event!r}")
    con.execute(
        "INSERT INTO security_events VALUES (?, ?, ?, ?, ?, ?)",
        [at or _now(), event, (user_name or "")[:200] or None, actor or None, client or None, detail or None],
    )


def list_events(con: duckdb.DuckDBPyConnection, limit: int = 100, user: str | None = None) -> list[dict[str, Any]]:
    """The latest security events, newest first (``user``: only those about that user)."""
    ensure_tables(con)
    rows = con.execute(
        "SELECT occurred_at, event, user_name, actor, client, detail FROM security_events "
        + ("WHERE user_name = ? " if user is not None else "")
        + "ORDER BY occurred_at DESC, rowid DESC LIMIT ?",
        [*([user] if user is not None else []), max(0, int(limit))],
    ).fetchall()
    keys = ("at", "event", "user_name", "actor", "client", "detail")
    return [dict(zip(keys, (r[0].isoformat(timespec="seconds"), *r[1:]), strict=True)) for r in rows]


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise HudongError(f"user name must be 1–{MAX_NAME} printable characters")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise HudongError(f"password must have at least {MIN_PASSWORD} characters")
    return password


def add_user(
    con: duckdb.DuckDBPyConnection, name: str, role: str, password: str, *, actor: str = CLI, client: str = ""
) -> User:
    """Create a user (error if the name exists)."""
    ensure_tables(con)
    name = _check_name(name)
    _check_role(role)
    check_password(password)
    if con.execute("SELECT 1 FROM web_users WHERE name = ?", [name]).fetchone():
        raise HudongError(f"user {name!r} already exists")
    con.execute(
        "INSERT INTO web_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
        [name, role, _hasher.hash(password), _now()],
    )
    record_event(con, "user_added", name, actor, client, f"role {role}")
    return User(name, role)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise HudongError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")


def _existing(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, bool]:
    """(role, disabled) of user ``name``; HudongError if there is none."""
    ensure_tables(con)
    row = con.execute("SELECT role, disabled FROM web_users WHERE name = ?", [name]).fetchone()
    if row is None:
        raise HudongError(f"no user {name!r}")
    return row[0], bool(row[1])


def _keep_an_admin(con: duckdb.DuckDBPyConnection, name: str, what: str) -> None:
    """Refuse to take away the last enabled admin (they could not be brought back without the CLI)."""
    others = con.execute(
        "SELECT count(*) FROM web_users WHERE role = 'admin' AND NOT disabled AND name <> ?", [name]
    ).fetchone()[0]
    role, disabled = _existing(con, name)
    if role == "admin" and not disabled and others == 0:
        raise HudongError(f"cannot {what} {name!r}: it is the last enabled admin (add or enable another admin first)")


def disable_user(con: duckdb.DuckDBPyConnection, name: str, *, actor: str = CLI, client: str = "") -> int:
    """Disable ``name``: no sign-in, no API token, every session ended (returns how many)."""
    _keep_an_admin(con, name, "disable")
    con.execute("UPDATE web_users SET disabled = true WHERE name = ?", [name])
    ended = sessions.end_all(con, name)
    record_event(con, "user_disabled", name, actor, client, f"{ended} session(s) ended")
    return ended


def enable_user(con: duckdb.DuckDBPyConnection, name: str, *, actor: str = CLI, client: str = "") -> None:
    _existing(con, name)
    con.execute("UPDATE web_users SET disabled = false WHERE name = ?", [name])
    record_event(con, "user_enabled", name, actor, client)


def remove_user(con: duckdb.DuckDBPyConnection, name: str, *, actor: str = CLI, client: str = "") -> None:
    """Delete ``name`` with their password, token and sessions (their past inbox actions keep the name)."""
    _keep_an_admin(con, name, "remove")
    con.execute("DELETE FROM web_users WHERE name = ?", [name])
    ended = sessions.end_all(con, name)
    record_event(con, "user_removed", name, actor, client, f"{ended} session(s) ended")


def set_role(con: duckdb.DuckDBPyConnection, name: str, role: str, *, actor: str = CLI, client: str = "") -> None:
    _check_role(role)
    old, _ = _existing(con, name)
    if old == role:
        return
    if role != "admin":
        _keep_an_admin(con, name, "demote")
    con.execute("UPDATE web_users SET role = ? WHERE name = ?", [role, name])
    record_event(con, "role_changed", name, actor, client, f"{old} -> {role}")


def set_password(
    con: duckdb.DuckDBPyConnection, name: str, password: str | None = None, *, actor: str = CLI, client: str = ""
) -> str | None:
    """An admin's (or the CLI's) reset: ``password``, or a generated one that is returned (to show once). Ends
    every session of the user."""
    _existing(con, name)
    generated = None if password is not None else secrets.token_urlsafe(12)
    new = check_password(password if password is not None else generated)
    con.execute("UPDATE web_users SET password_hash = ? WHERE name = ?", [_hasher.hash(new), name])
    ended = sessions.end_all(con, name)
    record_event(con, "password_reset", name, actor, client, f"{ended} session(s) ended")
    return generated


def change_own_password(
    con: duckdb.DuckDBPyConnection, name: str, current: str, new: str, *, client: str = ""
) -> None:
    """The user's own change: needs the current password. Ends every session of the user (the caller starts a
    fresh one for the browser that asked)."""
    if authenticate(con, name, current) is None:
        raise HudongError("the current password is wrong")
    check_password(new)
    con.execute("UPDATE web_users SET password_hash = ? WHERE name = ?", [_hasher.hash(new), name])
    ended = sessions.end_all(con, name)
    record_event(con, "password_changed", name, name, client, f"{ended} session(s) ended")


@dataclass(frozen=True)
class AdminSetup:
    """What ``ensure_admin`` did: ``created`` the user ``name``; ``generated`` = its new random password (to show
    once), None when it was given or no user was created."""

    name: str
    created: bool
    generated: str | None = None


def ensure_admin(
    con: duckdb.DuckDBPyConnection, name: str = "admin", password: str | None = None, *, actor: str = CLI
) -> AdminSetup:
    """Make sure the workspace has an enabled admin: if none exists, create ``name`` with ``password`` (or a
    random one, returned once; only its hash is stored). An existing admin is left as it is."""
    ensure_tables(con)
    row = con.execute("SELECT name FROM web_users WHERE role = 'admin' AND NOT disabled ORDER BY name").fetchone()
    if row:
        return AdminSetup(row[0], created=False)
    generated = None if password is not None else secrets.token_urlsafe(12)
    user = add_user(con, name, "admin", password if password is not None else generated, actor=actor)
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


def new_token(con: duckdb.DuckDBPyConnection, name: str, *, actor: str = CLI, client: str = "") -> str:
    """Issue a new API token for ``name`` (replacing the old one); only its hash is stored."""
    _existing(con, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    con.execute("UPDATE web_users SET token_hash = ? WHERE name = ?", [_token_hash(token), name])
    record_event(con, "token_issued", name, actor, client)
    return token


def user_for_token(con: duckdb.DuckDBPyConnection, token: str) -> User | None:
    row = con.execute(
        "SELECT name, role FROM web_users WHERE token_hash = ? AND NOT disabled", [_token_hash(token)]
    ).fetchone()
    return User(row[0], row[1]) if row else None


def session_secret(workspace_key: bytes) -> bytes:
    """The key that signs the pre-sign-in CSRF cookie, derived from the workspace secret (never the secret
    itself). Sessions themselves are server-side (``web/sessions.py``)."""
    return hmac.new(workspace_key, b"hudong-web-session-v1", hashlib.sha256).digest()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
