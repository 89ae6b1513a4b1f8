"""Staff identities: the first national admin, adding (inviting) staff, changing a role,
deactivating, re-sending an invitation, re-issuing a token, listing staff, and knowing who
holds a token.

Who may manage whom: a national admin anyone; a hub lead their own hub's staff, giving no
role above their own (``RANK``); nobody changes their own role or deactivates themselves
(the last national admin cannot lock everyone out by mistake). Another hub's member of
staff is "not found".

A token is shown once, when issued, and stored only as a slow salted hash (scrypt).
It has two parts: a short lookup id, stored plainly to find the row, and a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select, update

from workflow.db.models import Hub, Staff, StaffLink
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound, NotPermitted
from workflow.services import staff_links, web_sessions
from workflow.services.auth import (
    Action,
    Actor,
    Role,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.passwords import hash_password, password_problem
from workflow.services.setup import hub_by_code
from workflow.services.validation import clean_email, clean_name

PREFIX = "wf"
#: Roles by rank: a member of staff gives no role above their own.
RANK = {Role.VIEWER: 0, Role.HUB_STAFF: 1, Role.HUB_LEAD: 2, Role.NATIONAL_ADMIN: 3, Role.SYSTEM: 4}
STAFF_ROLES = (Role.NATIONAL_ADMIN, Role.HUB_LEAD, Role.HUB_STAFF, Role.VIEWER)
INVITED, ACTIVE, DEACTIVATED = "invited", "active", "deactivated"
# scrypt cost: about 50 ms per check here, so guessing a secret offline is slow.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _matches(secret: str, stored: str) -> bool:
    _, salt_hex, digest_hex = stored.split("$")
    candidate = _hash(secret, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


def _issue() -> tuple[str, str, str]:
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return f"{PREFIX}_{lookup}_{secret}", lookup, _hash(secret, secrets.token_bytes(16))


def init(uow: UnitOfWork, email: str, name: str, now: datetime) -> str:
    """Create the first national admin; refused once any staff exist. Returns the token."""
    with uow:
        if uow.session.scalar(select(func.count(Staff.id))):
            raise DomainError("already initialised: ask a national admin to add you")
        token = _add(uow.session, email, name, Role.NATIONAL_ADMIN, None, now)
        uow.commit()
        return token


@logs_refusals("add_staff")
def add_staff(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    name: str,
    role: str,
    hub_code: str | None,
    now: datetime,
    *,
    invite_base_url: str | None = None,
) -> str:
    """Add a member of staff; returns their token (shown once). With ``invite_base_url``,
    their invitation to the web application is emailed (in the same transaction).

    National admins add anyone; a hub lead adds staff to their own hub, in a role no higher
    than their own."""
    authorize(actor, Action.STAFF)
    role_ = _role(role)
    _may_give(actor, role_)
    if role_ != Role.NATIONAL_ADMIN and not hub_code:
        raise InvalidInput(f"a {role_.value} needs --hub")
    with uow:
        hub_id = None
        if role_ != Role.NATIONAL_ADMIN:
            hub_id = hub_by_code(uow.session, hub_code).id
            not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
            authorize(actor, Action.STAFF, hub_id)
        token = _add(uow.session, email, name, role_, hub_id, now)
        if invite_base_url:
            staff = uow.session.scalar(select(Staff).where(Staff.email == clean_email(email)))
            staff_links.issue(uow.session, staff, staff_links.INVITATION, invite_base_url, now)
        uow.commit()
        return token


def _role(role: str) -> Role:
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in STAFF_ROLES)
        raise InvalidInput(f"role {role!r}: expected one of {roles}") from None
    if role_ == Role.SYSTEM:
        raise InvalidInput("the system role cannot be given to staff")
    return role_


def _may_give(actor: Actor, role: Role) -> None:
    if RANK[role] > RANK[actor.role]:
        who = actor.role.value.replace("_", " ")
        raise NotPermitted(f"a {who} may not give the role {role.value} (above their own)")


def grantable_roles(actor: Actor) -> list[Role]:
    """The roles ``actor`` may give, highest first (none unless they may manage staff)."""
    try:
        authorize(actor, Action.STAFF)
    except NotPermitted:
        return []
    return [role for role in STAFF_ROLES if RANK[role] <= RANK[actor.role]]


def _managed(session, actor: Actor, email: str) -> Staff:
    """The member of staff ``actor`` may manage: another hub's (or a national admin, to a
    hub lead) is not found; oneself, or anyone above one's own role, is not permitted."""
    authorize(actor, Action.STAFF)
    row = session.scalar(select(Staff).where(Staff.email == clean_email(email)))
    if row is None or not (actor.national or _leads(actor, row)):
        raise NotFound(f"member of staff {email} not found")
    if row.email == actor.email:
        raise NotPermitted("you cannot change your own role or deactivate yourself")
    if RANK[Role(row.role)] > RANK[actor.role]:
        raise NotPermitted(f"{row.email} has a role above your own")
    return row


def may_manage(actor: Actor, row: dict) -> bool:
    """Whether ``actor`` may change the role of, deactivate or re-invite ``row`` (a row of
    ``list_staff``): what the staff page offers; the services check again."""
    return row["status"] != DEACTIVATED and _in_charge(actor, row)


def may_reactivate(actor: Actor, row: dict) -> bool:
    """Whether ``actor`` may reactivate ``row`` (deactivated): as ``may_manage``."""
    return row["status"] == DEACTIVATED and _in_charge(actor, row)


def _in_charge(actor: Actor, row: dict) -> bool:
    try:
        authorize(actor, Action.STAFF)
    except NotPermitted:
        return False
    if row["email"] == actor.email:
        return False
    role = Role(row["role"])
    in_scope = actor.national or (actor.role == Role.HUB_LEAD and row["hub_id"] == actor.hub_id)
    return in_scope and RANK[role] <= RANK[actor.role]


@logs_refusals("staff role")
def change_role(
    uow: UnitOfWork, actor: Actor, email: str, role: str, hub_code: str | None = None
) -> str:
    """Give a member of staff another role (and, for national admins, another hub); returns
    the old role. A hub lead: their own hub's staff, no role above their own."""
    role_ = _role(role)
    with uow:
        row = _managed(uow.session, actor, email)
        _may_give(actor, role_)
        if row.deactivated_at is not None:
            raise DomainError(f"{row.email} is deactivated")
        hub_id = None
        if role_ != Role.NATIONAL_ADMIN:
            hub_id = hub_by_code(uow.session, hub_code).id if hub_code else row.hub_id
            if hub_id is None:
                raise InvalidInput(f"a {role_.value} needs a hub (--hub)")
            not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
            authorize(actor, Action.STAFF, hub_id)
        old = row.role
        row.role, row.hub_id = role_.value, hub_id
        uow.commit()
        return old


@logs_refusals("staff deactivate")
def deactivate(uow: UnitOfWork, actor: Actor, email: str, now: datetime) -> None:
    """No more signing in: web sessions end, the token stops working and unused links
    expire. The row stays, since their name is in the records of what they did."""
    with uow:
        session = uow.session
        row = _managed(session, actor, email)
        if row.deactivated_at is not None:
            raise DomainError(f"{row.email} is already deactivated")
        row.deactivated_at = now
        _, row.token_lookup, row.token_hash = _issue()  # the old token stops working
        session.execute(
            update(StaffLink)
            .where(StaffLink.staff_id == row.id, StaffLink.used_at.is_(None))
            .values(used_at=now)
        )
        web_sessions.end_all_for(session, row.id)
        uow.commit()


@logs_refusals("staff reactivate")
def reactivate(uow: UnitOfWork, actor: Actor, email: str, base_url: str, now: datetime) -> str:
    """Let a deactivated member of staff back in, as if newly invited: their role and hub
    as they were, a new command-line token (returned, shown once), and an invitation
    emailed to create a password again. The password and authenticator app they had are
    forgotten, so nothing from before deactivation works again."""
    with uow:
        row = _managed(uow.session, actor, email)
        if row.deactivated_at is None:
            raise DomainError(f"{row.email} is not deactivated")
        row.deactivated_at = None
        row.password_hash = row.totp_secret = row.totp_last_step = None
        token, row.token_lookup, row.token_hash = _issue()
        staff_links.issue(uow.session, row, staff_links.INVITATION, base_url, now)
        uow.commit()
        return token


@logs_refusals("staff invite")
def resend_invitation(
    uow: UnitOfWork, actor: Actor, email: str, base_url: str, now: datetime
) -> str:
    """Email a new invitation to someone who has not yet created a password; returns the
    link. Earlier links keep working until they expire."""
    with uow:
        row = _managed(uow.session, actor, email)
        if row.deactivated_at is not None:
            raise DomainError(f"{row.email} is deactivated")
        if row.password_hash is not None:
            raise DomainError(
                f"{row.email} has already created a password: they can use "
                '"Forgot your password?" on the sign-in page'
            )
        url = staff_links.issue(uow.session, row, staff_links.INVITATION, base_url, now)
        uow.commit()
        return url


@logs_refusals("staff password")
def set_password(uow: UnitOfWork, actor: Actor, email: str, password: str) -> None:
    """An operator sets a member of staff's web password (national admins)."""
    authorize(actor, Action.SETUP)
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    with uow:
        staff = uow.session.scalar(select(Staff).where(Staff.email == clean_email(email)))
        if staff is None:
            raise InvalidInput(f"no member of staff with the address {email}")
        staff.password_hash = hash_password(password)
        uow.commit()


def _add(session, email, name, role: Role, hub_id, now) -> str:
    email = clean_email(email)
    if session.scalar(select(Staff.id).where(Staff.email == email)):
        raise DomainError(f"{email} is already a member of staff")
    token, lookup, hashed = _issue()
    session.add(
        Staff(
            email=email,
            name=clean_name(name),
            role=role.value,
            hub_id=hub_id,
            token_hash=hashed,
            token_lookup=lookup,
            created_at=now,
        )
    )
    session.flush()
    return token


def authenticate(uow: UnitOfWork, token: str | None) -> Actor:
    """The actor holding ``token``: no token, a malformed one, and one that is unknown or
    revoked each get their own message (none says which part of a token was wrong)."""
    if not token:
        raise NotPermitted("not signed in: set WORKFLOW_TOKEN to the token you were given")
    refused = NotPermitted(
        "the token in WORKFLOW_TOKEN (or --token) is not valid: it was mistyped, or it was"
        " replaced by `workflow staff token`; ask a national admin for a new one"
    )
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise refused
    _, lookup, secret = parts
    with uow:
        row = uow.session.execute(
            select(Staff.email, Staff.role, Staff.hub_id, Staff.token_hash).where(
                Staff.token_lookup == lookup, Staff.deactivated_at.is_(None)
            )
        ).first()
    if row is None or not _matches(secret, row.token_hash):
        raise refused
    return Actor(row.email, Role(row.role), row.hub_id)


def hub_code_of(uow: UnitOfWork, hub_id: int | None) -> str | None:
    if hub_id is None:
        return None
    with uow:
        return uow.session.scalar(select(Hub.code).where(Hub.id == hub_id))


@logs_refusals("staff token")
def reissue_token(uow: UnitOfWork, actor: Actor, email: str, now: datetime) -> str:
    """A new token for a member of staff; the old one stops working at once. National
    admins for anyone, a hub lead for their own hub's staff. Returns the new token."""
    email = clean_email(email)
    with uow:
        row = uow.session.scalar(select(Staff).where(Staff.email == email))
        if row is None or not (actor.national or actor.email == email or _leads(actor, row)):
            raise NotFound(f"no member of staff {email} that you may manage")
        token, lookup, hashed = _issue()
        row.token_hash, row.token_lookup = hashed, lookup
        uow.commit()
        return token


def _leads(actor: Actor, row: Staff) -> bool:
    return actor.role == Role.HUB_LEAD and row.hub_id is not None and row.hub_id == actor.hub_id


@logs_refusals("staff list")
def list_staff(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Staff, with their role, hub and status (invited: no password yet; active;
    deactivated); a hub's own staff only, unless national."""
    authorize(actor, Action.VIEW)
    with uow:
        query = (
            select(Staff, Hub.code, Hub.name.label("hub_name"))
            .outerjoin(Hub, Hub.id == Staff.hub_id)
            .order_by(Hub.code.is_not(None), Hub.code, Staff.role, Staff.name, Staff.email)
        )
        if not actor.national:
            query = query.where(Staff.hub_id == actor.hub_id)
        return [_row(r.Staff, r.code, r.hub_name) for r in uow.session.execute(query)]


def _row(staff: Staff, hub_code: str | None, hub_name: str | None) -> dict:
    if staff.deactivated_at is not None:
        status = DEACTIVATED
    else:
        status = ACTIVE if staff.password_hash else INVITED
    return {
        "id": staff.id,
        "email": staff.email,
        "name": staff.name,
        "role": staff.role,
        "hub": hub_code,
        "hub_id": staff.hub_id,
        "hub_name": hub_name,
        "status": status,
    }


@logs_refusals("staff show")
def staff_member(uow: UnitOfWork, actor: Actor, staff_id: int) -> dict:
    """One member of staff as ``list_staff`` shows them, to those who may manage staff;
    another hub's is not found."""
    authorize(actor, Action.STAFF)
    with uow:
        found = uow.session.execute(
            select(Staff, Hub.code, Hub.name.label("hub_name"))
            .outerjoin(Hub, Hub.id == Staff.hub_id)
            .where(Staff.id == staff_id)
        ).first()
        if found is None or not (actor.national or found.Staff.hub_id == actor.hub_id):
            raise NotFound(f"member of staff {staff_id} not found")
        return _row(found.Staff, found.code, found.hub_name)
