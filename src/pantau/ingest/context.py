"""What applying one journaled body carries along: its transaction, what it did so far, and the rows it created,
whose parked items are applied before the body's transaction ends.

An item refers to rows (a status to its message, an event to its conversation, contact, agent...). When one of them
is not known yet the item is parked under that referent's kind and id; creating a row of that kind and id later
releases it. On PostgreSQL both sides hold the referent's advisory lock (`locks.lock_key`), so a status parked while
its message is being created is seen by that creation, never left behind.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, tuple_

from pantau.auth.scope import conversation_scopes
from pantau.ingest.locks import lock_key, lock_keys
from pantau.ingest.rows import RowChange, row_exists
from pantau.models import (
    Broadcast,
    Contact,
    Conversation,
    Message,
    ParkedItem,
    Team,
    User,
    WhatsappSession,
)
from pantau.models.enums import IngestSource, ReferentKind, ScopeType

_parked = ParkedItem.__table__

# Where each kind of referent is looked up: its table and the column holding the id.
REFERENT_COLUMNS = {
    ReferentKind.team: (Team.__table__, "id"),
    ReferentKind.user: (User.__table__, "id"),
    ReferentKind.contact: (Contact.__table__, "id"),
    ReferentKind.whatsapp_session: (WhatsappSession.__table__, "id"),
    ReferentKind.broadcast: (Broadcast.__table__, "id"),
    ReferentKind.conversation: (Conversation.__table__, "id"),
    ReferentKind.message: (Message.__table__, "id"),
    ReferentKind.whatsapp_message: (Message.__table__, "whatsapp_message_id"),
}

Referent = tuple[ReferentKind, str]

# Referents looked up in one query (at most two parameters each: within SQLite's and PostgreSQL's limits).
_REFERENTS_PER_QUERY = 1000


@dataclass(frozen=True)
class Parked:
    """A parked item taken out of the table to be applied."""

    source: IngestSource
    event_id: str | None
    item: dict
    journal_id: int | None


def touched_scopes(connection: Connection, conversation_ids: list[str]) -> set[tuple[ScopeType, str]]:
    """The stored scopes the conversations count in now (`conversation_scopes`), the organisation's among them."""
    scopes: set[tuple[ScopeType, str]] = {(ScopeType.org, "")} if conversation_ids else set()
    for found in scopes_by_conversation(connection, conversation_ids).values():
        scopes.update(found)
    return scopes


def scopes_by_conversation(
    connection: Connection, conversation_ids: list[str]
) -> dict[str, set[tuple[ScopeType, str]]]:
    """The stored scopes each conversation counts in now, the organisation's among them (none for one not known)."""
    if not conversation_ids:
        return {}
    conversations = Conversation.__table__
    assignees = User.__table__
    found = connection.execute(
        select(conversations.c.id, conversations.c.team_id, conversations.c.assigned_to, assignees.c.team_id)
        .select_from(conversations.outerjoin(assignees, assignees.c.id == conversations.c.assigned_to))
        .where(conversations.c.id.in_(conversation_ids))
    )
    return {
        conversation_id: {(ScopeType.org, ""), *conversation_scopes(team_id, assignee_id, assignee_team)}
        for conversation_id, team_id, assignee_id, assignee_team in found
    }


class NeedsIsolation(Exception):
    """An event the database refused while the body was applied without savepoints: apply it again with them."""


def referent_key(kind: ReferentKind, key: str) -> str:
    return f"{kind.value}:{key}"


class ApplyContext:
    """One body's application, inside one transaction.

    `tally` counts the body's items by outcome (accepted, duplicate, rejected, parked, ignored, and released: parked
    items this body's rows let through); it becomes the journal entry's summary.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        source: IngestSource,
        now: datetime,
        journal_id: int | None,
        isolated: bool = True,
    ) -> None:
        self.connection = connection
        # Each event in a savepoint of its own. Without (two statements fewer per event), an event the database
        # refuses aborts the body's transaction (NeedsIsolation), and the body is applied again with them.
        self.isolated = isolated
        self.source = source
        self.now = now
        self.journal_id = journal_id
        self.tally: Counter[str] = Counter()
        self.changed = False
        self._created: deque[Referent] = deque()
        # Who the body's changes concern (`pantau.realtime`): the stored scopes of the conversations and people it
        # touched, before and after; `everything` when it touched rows not tied to one conversation.
        self.everything = False
        self._touched_conversations: set[str] = set()
        self.scopes: set[tuple[ScopeType, str]] = set()
        # The scopes of conversations the body will touch, read ahead (`look_up_scopes`), until each is touched.
        self._scopes_ahead: dict[str, set[tuple[ScopeType, str]]] = {}
        # Referents seen to exist (or created) in this transaction: rows are never deleted while a body applies.
        self._known: set[Referent] = set()
        # Referents the body may create, locked at its start (`expect_created`), and those of them items wait for;
        # and the referents this transaction parked items on.
        self._locked_ahead: set[Referent] = set()
        self._waited_for: set[Referent] = set()
        self._parked_on: set[Referent] = set()

    def note(self, change: RowChange) -> None:
        if change.anything:
            self.changed = True

    def created(self, kind: ReferentKind, key: str) -> None:
        """A row that items may be waiting for now exists."""
        self.changed = True
        self._created.append((kind, key))
        self._known.add((kind, key))

    def touch_conversation(self, conversation_id: str) -> None:
        """The conversation is about to change: the scopes it counts in now count as touched, and so will those it
        counts in once the body is applied (a reassignment touches the old assignee and the new one)."""
        if conversation_id not in self._touched_conversations:
            self._touched_conversations.add(conversation_id)
            if conversation_id in self._scopes_ahead:
                self.scopes.add((ScopeType.org, ""))
                self.scopes.update(self._scopes_ahead.pop(conversation_id))
            else:
                self.scopes.update(touched_scopes(self.connection, [conversation_id]))

    def look_up_scopes(self, conversation_ids: Iterable[str]) -> None:
        """Read ahead, in one query (per thousand), the scopes the conversations count in, for `touch_conversation`.
        What they are when one is touched first is what they are now: a conversation's team and assignee change
        only through events that touch it first, and a change to a person (their team) touches everything."""
        ahead = sorted(set(conversation_ids) - self._touched_conversations - self._scopes_ahead.keys())
        for start in range(0, len(ahead), _REFERENTS_PER_QUERY):
            chunk = ahead[start : start + _REFERENTS_PER_QUERY]
            found = scopes_by_conversation(self.connection, chunk)
            self._scopes_ahead.update({conversation_id: found.get(conversation_id, set()) for conversation_id in chunk})

    def touch_person(self, user_id: str) -> None:
        """A person's own figures change (a message they sent): their scope and their team's."""
        self.scopes.add((ScopeType.agent, user_id))
        team_id = self.connection.execute(select(User.__table__.c.team_id).where(User.__table__.c.id == user_id))
        team = team_id.scalar()
        if team is not None:
            self.scopes.add((ScopeType.team, team))

    def touch_everything(self) -> None:
        self.everything = True

    def touched(self) -> frozenset[tuple[ScopeType, str]] | None:
        """After applying, before the commit: the scopes the body touched, or None for every scope."""
        if self.everything:
            return None
        self.scopes.update(touched_scopes(self.connection, sorted(self._touched_conversations)))
        return frozenset(self.scopes)

    def take_created(self) -> list[Referent]:
        """The referents created since the last call."""
        created = list(self._created)
        self._created.clear()
        return created

    def exists(self, kind: ReferentKind, key: str) -> bool:
        if (kind, key) in self._known:
            return True
        table, column = REFERENT_COLUMNS[kind]
        found = row_exists(self.connection, table, column, key)
        if found:
            self._known.add((kind, key))
        return found

    def look_up(self, referents: Iterable[Referent]) -> None:
        """Look the referents up ahead, one query per kind (per thousand ids): those found need no query later."""
        by_kind: dict[ReferentKind, set[str]] = {}
        for kind, key in referents:
            if (kind, key) not in self._known:
                by_kind.setdefault(kind, set()).add(key)
        for kind, keys in by_kind.items():
            table, column = REFERENT_COLUMNS[kind]
            ordered = sorted(keys)
            for start in range(0, len(ordered), _REFERENTS_PER_QUERY):
                found = self.connection.execute(
                    select(table.c[column]).where(table.c[column].in_(ordered[start : start + _REFERENTS_PER_QUERY]))
                )
                self._known.update((kind, key) for key in found.scalars())

    def known(self, referents: Iterable[Referent]) -> bool:
        """Every one of the referents seen to exist (or created) in this transaction, without asking the database."""
        return all(referent in self._known for referent in referents)

    def missing(self, referents: Iterable[Referent]) -> Referent | None:
        """The first referent not known yet, holding its lock (so its creation, if under way, sees what is parked)."""
        for kind, key in referents:
            if self.exists(kind, key):
                continue
            lock_key(self.connection, referent_key(kind, key))
            if not self.exists(kind, key):
                return kind, key
        return None

    def park(
        self,
        referent: Referent,
        item: dict,
        occurred_at: datetime,
        *,
        source: IngestSource,
        event_id: str | None = None,
    ) -> None:
        kind, key = referent
        self._parked_on.add(referent)
        self.connection.execute(
            insert(_parked).values(
                source=source,
                waiting_kind=kind,
                waiting_id=key,
                event_id=event_id,
                item=item,
                occurred_at=occurred_at,
                parked_at=self.now,
                journal_id=self.journal_id,
            )
        )

    def expect_created(self, referents: list[Referent]) -> None:
        """The body may create these referents: lock them all now, in one statement, and read which of them items
        are parked on, in one query. Creating one of them then costs no statement to release what waits for it when
        nothing does: an item parked on it since would have been parked by this transaction (another one parking
        on it waits for the lock, until this one commits, and then finds it created)."""
        ahead = set(referents) - self._locked_ahead
        if not ahead:
            return
        lock_keys(self.connection, [referent_key(kind, key) for kind, key in ahead])
        waiting = tuple_(_parked.c.waiting_kind, _parked.c.waiting_id)
        ordered = sorted(ahead)
        for start in range(0, len(ordered), _REFERENTS_PER_QUERY):
            found = self.connection.execute(
                select(_parked.c.waiting_kind, _parked.c.waiting_id)
                .distinct()
                .where(waiting.in_(ordered[start : start + _REFERENTS_PER_QUERY]))
            )
            self._waited_for.update((ReferentKind(kind), key) for kind, key in found)
        self._locked_ahead |= ahead

    def awaited(self, referent: Referent) -> bool:
        """Something may wait for this referent: it was not locked ahead (`expect_created`), items are parked on it,
        or this transaction parked one on it."""
        return referent not in self._locked_ahead or referent in self._waited_for or referent in self._parked_on

    def take_parked(self, referents: list[Referent]) -> list[Parked]:
        """The items waiting for any of the referents, oldest first, removed from the table (applying them may park
        them again, on another referent). One lock statement and one query, however many referents; none when the
        referents were locked ahead and nothing waits for them."""
        referents = [referent for referent in referents if self.awaited(referent)]
        if not referents:
            return []
        lock_keys(self.connection, [referent_key(kind, key) for kind, key in referents])
        waiting = tuple_(_parked.c.waiting_kind, _parked.c.waiting_id)
        rows = self.connection.execute(
            select(_parked.c.id, _parked.c.source, _parked.c.event_id, _parked.c.item, _parked.c.journal_id)
            .where(waiting.in_(referents))
            .order_by(_parked.c.occurred_at, _parked.c.id)
        ).all()
        if rows:
            self.connection.execute(delete(_parked).where(_parked.c.id.in_([row.id for row in rows])))
        return [
            Parked(source=IngestSource(row.source), event_id=row.event_id, item=row.item, journal_id=row.journal_id)
            for row in rows
        ]
