"""The household database: SQLAlchemy 2 models, portable between SQLite and PostgreSQL.

street → committee → building → unit → household (room) → phones, residents, tags;
status colour with its full history; campaigns, their per-household tasks (the work queue that
dialer nodes claim with row leases), attempts, turns, answers, recordings, flags (the staff
worklist), staff accounts, and the do-not-call list.

Every schema change goes through an Alembic migration in ``db/versions``.
"""

from __future__ import annotations

import enum
import uuid as uuidlib
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always gives back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # native_enum=False: a VARCHAR with a CHECK, so adding a value is a plain migration on both
    # SQLite and PostgreSQL
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
    )


class Colour(enum.StrEnum):
    """Household status colours (design.md section 6)."""

    GREEN = "green"  # did not leave / warning lifted
    RED = "red"  # back from a key epidemic area
    ORANGE = "orange"  # back from a key-concern area, home health management
    YELLOW = "yellow"  # back from another area, health registered
    BLUE = "blue"  # not back yet, or not reached
    GREY = "grey"  # vacant: never called


class AttemptState(enum.StrEnum):
    QUEUED = "queued"
    ORIGINATING = "originating"
    RINGING = "ringing"
    ANSWERED = "answered"
    IN_CONVERSATION = "in_conversation"
    # final states
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    FAILED = "failed"
    MACHINE = "machine"
    HUNG_UP_EARLY = "hung_up_early"

    @property
    def final(self) -> bool:
        return self in FINAL_ATTEMPT_STATES


FINAL_ATTEMPT_STATES = frozenset(
    {
        AttemptState.COMPLETED,
        AttemptState.BUSY,
        AttemptState.NO_ANSWER,
        AttemptState.CONGESTION,
        AttemptState.FAILED,
        AttemptState.MACHINE,
        AttemptState.HUNG_UP_EARLY,
    }
)


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class TaskState(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    ACTIVE = "active"  # an attempt is in flight (leased by a node)
    DONE = "done"  # reached and the script finished
    EXHAUSTED = "exhausted"  # all attempts used without success
    SKIPPED = "skipped"  # do-not-call, opted out, vacant, cancelled


class FlagKind(enum.StrEnum):
    FEVER = "fever"
    SYMPTOMS = "symptoms"
    UNREACHABLE = "unreachable"
    HUMAN_REQUESTED = "human_requested"
    MISSED_CHECKIN = "missed_checkin"
    UNCLEAR = "unclear"
    WENT_OUT = "went_out"


class Role(enum.StrEnum):
    ADMIN = "admin"  # street administrator: sees all committees
    STAFF = "staff"  # committee staff: own committee only


# -- places and people -----------------------------------------------------------------------


class Street(Base):
    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    committees: Mapped[list[Committee]] = relationship(back_populates="street")


class Committee(Base):
    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("street_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(120))
    office_address: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[Street] = relationship(back_populates="committees")
    buildings: Mapped[list[Building]] = relationship(back_populates="committee")


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("committee_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))  # "12" or "12号楼"
    sort_key: Mapped[int] = mapped_column(Integer, default=0)
    committee: Mapped[Committee] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("building_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(30))  # "1" (单元); "" when the building has none
    building: Mapped[Building] = relationship(back_populates="units")
    households: Mapped[list[Household]] = relationship(back_populates="unit")


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("unit_id", "room"),
        Index("ix_households_status_flagged", "status", "flagged"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    room: Mapped[str] = mapped_column(String(20))  # "301"
    status: Mapped[Colour] = mapped_column(_enum(Colour, "colour"), default=Colour.BLUE)
    status_since: Mapped[datetime] = mapped_column(default=utcnow)  # the map shows "since"
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # any open flag
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None]
    opted_out_by: Mapped[str] = mapped_column(String(80), default="")  # "attempt 12", "staff 3"
    quarantine_start: Mapped[date | None] = mapped_column(Date)
    # latest answers by field name (last_temperature, masks_confirmed, ...) for the map
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="households")
    phones: Mapped[list[Phone]] = relationship(
        back_populates="household", order_by="Phone.position", cascade="all, delete-orphan"
    )
    residents: Mapped[list[Resident]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )
    tags: Mapped[list[Tag]] = relationship(secondary="household_tags", back_populates="households")
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="household", order_by="StatusChange.at"
    )


class Phone(Base):
    __tablename__ = "phones"
    __table_args__ = (UniqueConstraint("household_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(24), index=True)  # canonical (ivr.phone.normalize)
    position: Mapped[int] = mapped_column(Integer, default=0)  # tried in this order
    label: Mapped[str] = mapped_column(String(40), default="")
    household: Mapped[Household] = relationship(back_populates="phones")


class Resident(Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    household: Mapped[Household] = relationship(back_populates="residents")


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    households: Mapped[list[Household]] = relationship(
        secondary="household_tags", back_populates="tags"
    )


class HouseholdTag(Base):
    __tablename__ = "household_tags"
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class StatusChange(Base):
    """Every colour change: when, from what, to what, and why (a call or a staff member)."""

    __tablename__ = "status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # distinct enum names: each names its CHECK constraint, and PostgreSQL wants them unique
    from_status: Mapped[Colour | None] = mapped_column(_enum(Colour, "from_colour"))
    to_status: Mapped[Colour] = mapped_column(_enum(Colour, "to_colour"))
    reason: Mapped[str] = mapped_column(Text)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    household: Mapped[Household] = relationship(back_populates="status_changes")


class Flag(Base):
    """An item on the staff worklist: visit, call back, check an unclear answer."""

    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_open", "resolved_at", "kind"),
        # one open flag per household and kind, even when two dialer nodes raise it at once
        Index(
            "uq_flags_open_household_kind",
            "household_id",
            "kind",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FlagKind] = mapped_column(_enum(FlagKind, "flag_kind"))
    detail: Mapped[str] = mapped_column(Text, default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    resolution: Mapped[str] = mapped_column(Text, default="")
    household: Mapped[Household] = relationship()


class DoNotCall(Base):
    """Numbers never to dial, whoever owns them."""

    __tablename__ = "do_not_call"
    number: Mapped[str] = mapped_column(String(24), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(80), default="")


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.STAFF)
    committee_id: Mapped[int | None] = mapped_column(
        ForeignKey("committees.id", ondelete="SET NULL")
    )
    sip_endpoint: Mapped[str | None] = mapped_column(String(40))  # e.g. "staff1"
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class RevokedSession(Base):
    """A report-view session ended by logout: its cookie must stay dead, across restarts of
    the server and in every server process, until it would have expired anyway."""

    __tablename__ = "revoked_sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# -- campaigns and calls ---------------------------------------------------------------------


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    script_name: Mapped[str] = mapped_column(String(120))
    script_source: Mapped[str] = mapped_column(Text)  # the YAML as checked at creation
    script_sha256: Mapped[str] = mapped_column(String(64))
    # target, windows, retry policy, schedule and script variables: validated pydantic models
    # serialised to JSON (ivr.campaigns.spec)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[CampaignState] = mapped_column(
        _enum(CampaignState, "campaign_state"), default=CampaignState.DRAFT, index=True
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    tasks: Mapped[list[Task]] = relationship(back_populates="campaign")


class Task(Base):
    """One household to reach in one campaign occurrence; the unit of work nodes lease."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id", "occurrence"),
        Index("ix_tasks_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    occurrence: Mapped[str] = mapped_column(String(32), default="once")  # "2026-11-25T09:00"
    state: Mapped[TaskState] = mapped_column(
        _enum(TaskState, "task_state"), default=TaskState.PENDING
    )
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]  # a recurring occurrence not reached by then is missed
    attempts_made: Mapped[int] = mapped_column(Integer, default=0)
    attempts_by_outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    phone_index: Mapped[int] = mapped_column(Integer, default=0)  # next phone to try
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(24))
    finished_at: Mapped[datetime | None]
    campaign: Mapped[Campaign] = relationship(back_populates="tasks")
    household: Mapped[Household] = relationship()


class Attempt(Base):
    """One call: committed before its Originate is sent, finished from Asterisk's events."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_state", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuidlib.uuid4()))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    number: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(120), default="")  # the dial string used
    kind: Mapped[str] = mapped_column(String(16), default="robot")  # robot | staff (click-to-call)
    node: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[AttemptState] = mapped_column(
        _enum(AttemptState, "attempt_state"), default=AttemptState.QUEUED
    )
    reason: Mapped[str] = mapped_column(Text, default="")  # why it ended so, in words
    hangup_cause: Mapped[int | None] = mapped_column(Integer)  # Q.850 cause from Asterisk
    hangup_cause_text: Mapped[str] = mapped_column(String(80), default="")
    amd_status: Mapped[str | None] = mapped_column(String(16))  # HUMAN | MACHINE | NOTSURE
    amd_cause: Mapped[str | None] = mapped_column(String(60))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    originated_at: Mapped[datetime | None]
    ringing_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    conversation_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)  # answered → ended
    script_outcome: Mapped[str | None] = mapped_column(String(40))
    turns: Mapped[list[Turn]] = relationship(
        back_populates="attempt", order_by="Turn.seq", cascade="all, delete-orphan"
    )
    recordings: Mapped[list[Recording]] = relationship(back_populates="attempt")


class Turn(Base):
    """One exchange of a call: what the robot said, what it heard, what it made of it."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("attempt_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(60))
    prompt_id: Mapped[str] = mapped_column(String(80), default="")
    prompt_text: Mapped[str] = mapped_column(Text, default="")
    heard_text: Mapped[str | None] = mapped_column(Text)
    dtmf: Mapped[str | None] = mapped_column(String(32))
    expect: Mapped[str | None] = mapped_column(String(24))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    barge_in: Mapped[bool] = mapped_column(Boolean, default=False)
    event: Mapped[str] = mapped_column(String(24), default="")  # answer|no_input|no_match|dtmf|...
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    asr_ms: Mapped[float | None] = mapped_column(Float)
    turn_ms: Mapped[float | None] = mapped_column(Float)  # end of speech → first reply frame
    attempt: Mapped[Attempt] = relationship(back_populates="turns")


class Answer(Base):
    """A value the robot stored on a household (or 'unclear'), with where it came from."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_household_field", "household_id", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    unclear: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_retention", "deleted_at", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(400))
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    attempt: Mapped[Attempt] = relationship(back_populates="recordings")
