"""Local accounts, browser sessions and API tokens (argon2 password hashes; tokens stored as digests)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.store.models import utc_now
from aiwatch.web.models import ApiToken, User, WebSession

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "aiw_"  # noqa: S105 - a marker, not a secret
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps the answer time the same (no user probing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(IntEnum):
    """Ordered: each role may do everything the roles below it may."""

    VIEWER = 1  # read only
    ANALYST = 2  # triage and actions on findings
    ADMIN = 3  # everything: integrations, accounts, tokens

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise AccountError(f"unknown role {value!r}; use viewer, analyst or admin") from None


# API token scopes grant at most the matching role (and never more than the creating account's role).
SCOPE_ROLES = {"read": Role.VIEWER, "act": Role.ANALYST, "admin": Role.ADMIN}


class AccountError(ValueError):
    """Bad input or an impossible account change; the message says what to do."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request and what they may do."""

    user_id: int
    username: str
    role: Role
    csrf_token: str | None = None  # browser sessions only; API tokens are not sent automatically
    token_name: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.username} (token {self.token_name})" if self.token_name else self.username


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    username: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_username(username: str) -> str:
    name = username.strip()
    if not _USERNAME.fullmatch(name):
        raise AccountError(
            "the username must be 1-100 characters: letters, digits, dot, dash, underscore or @, "
            "starting with a letter or digit"
        )
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise AccountError("the password must have at most 1024 characters")
    return password


def generate_password() -> str:
    return secrets.token_urlsafe(18)


class AccountService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # accounts

    def count_users(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(User)) or 0)

    def create_user(self, username: str, password: str, role: Role) -> UserInfo:
        name = validate_username(username)
        password_hash = _hasher.hash(validate_password(password))
        with self._sessions.begin() as session:
            if session.scalar(select(User).where(User.username == name)) is not None:
                raise AccountError(f"an account named {name!r} already exists")
            user = User(username=name, password_hash=password_hash, role=role.label, disabled=False)
            session.add(user)
            session.flush()
            return _user_info(user)

    def ensure_first_admin(self, username: str = "admin") -> str | None:
        """Create the first admin when there is no account yet; returns its generated password once."""
        if self.count_users() > 0:
            return None
        password = generate_password()
        self.create_user(username, password, Role.ADMIN)
        return password

    def list_users(self) -> list[UserInfo]:
        with self._sessions() as session:
            return [_user_info(u) for u in session.scalars(select(User).order_by(User.username))]

    def set_role(self, username: str, role: Role) -> UserInfo:
        with self._sessions.begin() as session:
            user = self._load(session, username)
            if Role.parse(user.role) is Role.ADMIN and role is not Role.ADMIN:
                self._keep_one_admin(session, user)
            user.role = role.label
            return _user_info(user)

    def set_disabled(self, username: str, disabled: bool) -> UserInfo:
        with self._sessions.begin() as session:
            user = self._load(session, username)
            if disabled and Role.parse(user.role) is Role.ADMIN:
                self._keep_one_admin(session, user)
            user.disabled = disabled
            if disabled:
                session.query(WebSession).filter(WebSession.user_id == user.id).delete()
            return _user_info(user)

    def reset_password(self, username: str, password: str | None = None) -> str:
        """Set a new password (generated when not given), end the account's sessions; returns it."""
        new_password = validate_password(password) if password is not None else generate_password()
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.password_hash = _hasher.hash(new_password)
            session.query(WebSession).filter(WebSession.user_id == user.id).delete()
        return new_password

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The account when the password matches and the account is enabled, else None."""
        with self._sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username.strip()))
            try:
                _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or user.disabled:
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            user.last_login_at = utc_now()
            return _user_info(user)

    # browser sessions

    def start_session(self, user_id: int) -> str:
        """A new session; returns the cookie value (only its digest is stored)."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self._sessions.begin() as session:
            session.query(WebSession).filter(WebSession.expires_at < now).delete()
            session.add(
                WebSession(
                    token_hash=digest(token),
                    user_id=user_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
        return token

    def session_principal(self, token: str) -> Principal | None:
        with self._sessions() as session:
            row = session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == digest(token))
            ).first()
            if row is None:
                return None
            web_session, user = row
            if web_session.expires_at <= utc_now() or user.disabled:
                return None
            return Principal(user.id, user.username, Role.parse(user.role), csrf_token=web_session.csrf_token)

    def end_session(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.query(WebSession).filter(WebSession.token_hash == digest(token)).delete()

    # API tokens

    def create_token(self, username: str, name: str, scopes: list[str]) -> tuple[TokenInfo, str]:
        """A new API token; the clear token is returned once and never stored."""
        label = name.strip()
        if not 1 <= len(label) <= 100 or any(ord(ch) < 32 for ch in label):
            raise AccountError("the token name must be 1-100 printable characters")
        clean_scopes = sorted({scope.strip() for scope in scopes if scope.strip()})
        unknown = [scope for scope in clean_scopes if scope not in SCOPE_ROLES]
        if unknown or not clean_scopes:
            raise AccountError("choose at least one scope among: read, act, admin")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            user = self._load(session, username)
            row = ApiToken(
                name=label,
                token_hash=digest(token),
                prefix=token[:10],
                scopes=" ".join(clean_scopes),
                user_id=user.id,
            )
            session.add(row)
            session.flush()
            return _token_info(row, user.username), token

    def list_tokens(self) -> list[TokenInfo]:
        with self._sessions() as session:
            rows = session.execute(
                select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
            ).all()
            return [_token_info(token, username) for token, username in rows]

    def revoke_token(self, token_id: int) -> TokenInfo:
        with self._sessions.begin() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise AccountError(f"no API token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utc_now()
            user = session.get(User, row.user_id)
            return _token_info(row, user.username if user else "?")

    def token_principal(self, token: str) -> Principal | None:
        with self._sessions.begin() as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == digest(token))
            ).first()
            if row is None:
                return None
            api_token, user = row
            if api_token.revoked_at is not None or user.disabled:
                return None
            api_token.last_used_at = utc_now()
            granted = max(SCOPE_ROLES[scope] for scope in api_token.scopes.split())
            role = Role(min(granted, Role.parse(user.role)))
            return Principal(user.id, user.username, role, token_name=api_token.name)

    # helpers

    @staticmethod
    def _load(session: Session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise AccountError(f"no account named {username!r}; list them with `aiwatch users list`")
        return user

    @staticmethod
    def _keep_one_admin(session: Session, user: User) -> None:
        admins = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.label, User.disabled.is_(False), User.id != user.id)
        )
        if not admins:
            raise AccountError("this is the last enabled admin; make another account admin first")


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        user.id, user.username, Role.parse(user.role), user.disabled, user.created_at, user.last_login_at
    )


def _token_info(row: ApiToken, username: str) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.name,
        row.prefix,
        tuple(row.scopes.split()),
        username,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
    )
