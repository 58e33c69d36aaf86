"""The CRM's records as Peewee models (see DESIGN.md, "Records").

Every record that people edit carries created/updated stamps and a `version` for
optimistic locking. Consecutive keys and numbers come from `Counter` rows, taken inside
the inserting transaction.

A column that leads a composite index in `Meta.indexes` gets no index of its own
(a foreign key says `index=False`): the composite serves every look-up by that column,
including the RESTRICT checks on delete, and each index less makes every write cheaper.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from crm_tui.db.connection import database


def now() -> dt.datetime:
    """Local wall-clock time to the second: what the people in the office read."""
    return dt.datetime.now().replace(microsecond=0)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value facts about the database itself, such as its schema version."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Counter(BaseModel):
    """The last number handed out for each consecutive series (never goes back)."""

    name = pw.CharField(primary_key=True, max_length=32)
    value = pw.BigIntegerField(default=0)


class Audited(BaseModel):
    created_at = pw.DateTimeField(default=now)
    created_by = pw.CharField(max_length=64, default="")
    updated_at = pw.DateTimeField(default=now)
    updated_by = pw.CharField(max_length=64, default="")
    version = pw.IntegerField(default=1)


class User(Audited):
    ADMIN = "admin"
    AGENT = "agent"

    username = pw.CharField(max_length=64, unique=True)
    full_name = pw.CharField(max_length=200, default="")
    role = pw.CharField(max_length=16, default=AGENT)
    active = pw.BooleanField(default=True)


# A catalog listed by name reads its pages in (name_folded, id) order: a keyset page,
# either way, is a range of this index (SQLite's one-column index held the id implicitly;
# PostgreSQL's does not).
NAME_ORDER_INDEX = (("name_folded", "id"), False)


class Client(Audited):
    key = pw.IntegerField(unique=True)
    name = pw.CharField(max_length=200, index=True)
    name_folded = pw.CharField(max_length=200, default="")  # indexed with the id: NAME_ORDER_INDEX
    tax_id = pw.CharField(max_length=20, default="")
    phone = pw.CharField(max_length=40, default="")
    email = pw.CharField(max_length=200, default="")
    address = pw.TextField(default="")
    notes = pw.TextField(default="")
    active = pw.BooleanField(default=True)

    class Meta:
        indexes = (NAME_ORDER_INDEX,)


class Contact(Audited):
    key = pw.IntegerField(unique=True)
    client = pw.ForeignKeyField(Client, index=False, backref="contacts", on_delete="RESTRICT")
    name = pw.CharField(max_length=200, index=True)
    name_folded = pw.CharField(max_length=200, default="")  # indexed with the id: NAME_ORDER_INDEX
    job_title = pw.CharField(max_length=120, default="")
    phone = pw.CharField(max_length=40, default="")
    mobile = pw.CharField(max_length=40, default="")
    email = pw.CharField(max_length=200, default="")
    address = pw.TextField(default="")
    notes = pw.TextField(default="")
    active = pw.BooleanField(default=True)

    class Meta:
        indexes = ((("client", "key"), False), NAME_ORDER_INDEX)


class Category(Audited):
    """An activity type: also classifies service orders."""

    name = pw.CharField(max_length=120)
    name_folded = pw.CharField(max_length=120, unique=True)
    active = pw.BooleanField(default=True)


class Project(Audited):
    key = pw.IntegerField(unique=True)
    client = pw.ForeignKeyField(Client, index=False, backref="projects", on_delete="RESTRICT")
    name = pw.CharField(max_length=200, index=True)
    name_folded = pw.CharField(max_length=200, default="")  # indexed with the id: NAME_ORDER_INDEX
    start_date = pw.DateField(null=True)
    goal_date = pw.DateField(null=True)
    user_in_charge = pw.ForeignKeyField(User, null=True, backref="projects", on_delete="RESTRICT")
    contact_in_charge = pw.ForeignKeyField(Contact, null=True, backref="projects", on_delete="RESTRICT")
    description = pw.TextField(default="")

    class Meta:
        indexes = ((("client", "key"), False), NAME_ORDER_INDEX)


class Activity(Audited):
    ACTIVITY = "activity"
    TASK = "task"
    PENDING = "pending"
    DONE = "done"

    folio = pw.IntegerField(unique=True)
    kind = pw.CharField(max_length=10, default=ACTIVITY)
    when = pw.DateTimeField()
    user = pw.ForeignKeyField(User, index=False, backref="activities", on_delete="RESTRICT")
    contact = pw.ForeignKeyField(Contact, index=False, backref="activities", on_delete="RESTRICT")
    client = pw.ForeignKeyField(Client, index=False, backref="activities", on_delete="RESTRICT")
    category = pw.ForeignKeyField(Category, index=False, backref="activities", on_delete="RESTRICT")
    detail = pw.TextField(default="")
    status = pw.CharField(max_length=10, default=PENDING)
    followup_notes = pw.TextField(default="")
    due_date = pw.DateField(null=True)
    assignee = pw.ForeignKeyField(User, index=False, null=True, backref="tasks", on_delete="RESTRICT")
    source_activity = pw.ForeignKeyField("self", null=True, backref="follow_ups", on_delete="RESTRICT")
    # The order this activity created; a plain id because orders also point back here.
    created_order_id = pw.IntegerField(null=True, index=True)

    class Meta:
        indexes = (
            (("user", "when", "id"), False),
            (("client", "when", "id"), False),
            (("contact", "when", "id"), False),
            (("category", "when", "id"), False),
            (("status", "when", "id"), False),
            (("when", "id"), False),
            (("assignee", "status", "due_date"), False),
            # Reports count activities of a period by user and category from this alone
            # (user first: SQLite walks it user by user, as it does the index above).
            (("user", "when", "category", "kind", "status"), False),
        )


class ServiceOrder(Audited):
    OPEN = "open"
    FINISHED = "finished"
    CLOSED = "closed"
    PRIORITIES = ("low", "normal", "high", "urgent")

    number = pw.IntegerField(unique=True)
    project = pw.ForeignKeyField(Project, index=False, null=True, backref="orders", on_delete="RESTRICT")
    contact = pw.ForeignKeyField(Contact, index=False, backref="orders", on_delete="RESTRICT")
    client = pw.ForeignKeyField(Client, index=False, backref="orders", on_delete="RESTRICT")
    priority = pw.CharField(max_length=10, default="normal")
    assigned_user = pw.ForeignKeyField(User, index=False, null=True, backref="orders", on_delete="RESTRICT")
    appointment_at = pw.DateTimeField(null=True)
    category = pw.ForeignKeyField(Category, index=False, backref="orders", on_delete="RESTRICT")
    detail = pw.TextField(default="")
    equipment = pw.TextField(default="")
    status = pw.CharField(max_length=10, default=OPEN)
    finished_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)
    rating = pw.SmallIntegerField(null=True)
    customer_comments = pw.TextField(default="")
    times_reopened = pw.IntegerField(default=0)
    source_activity = pw.ForeignKeyField(Activity, null=True, backref="orders", on_delete="RESTRICT")

    class Meta:
        indexes = (
            (("status", "number"), False),
            (("assigned_user", "number"), False),
            (("client", "number"), False),
            (("contact", "number"), False),
            (("project", "status", "number"), False),
            (("category", "number"), False),
            # Lists filtered by a date range are shown in that date's order.
            (("created_at", "number"), False),
            (("finished_at", "number"), False),
            # Reports count the orders of a period from these alone (by client, project and
            # status; ratings by technician), never reading the orders themselves.
            (("created_at", "client", "project", "status", "assigned_user"), False),
            (("finished_at", "assigned_user", "rating"), False),
        )


class ServiceEntry(Audited):
    order = pw.ForeignKeyField(ServiceOrder, index=False, backref="entries", on_delete="RESTRICT")
    when = pw.DateTimeField()
    user = pw.ForeignKeyField(User, backref="service_entries", on_delete="RESTRICT")
    work_done = pw.TextField(default="")
    minutes = pw.IntegerField(null=True)
    service_finished = pw.BooleanField(default=False)

    class Meta:
        indexes = (
            (("order", "when", "id"), False),
            # Work by technician per day, counted from this alone.
            (("when", "user", "minutes"), False),
        )


class OrderReview(Audited):
    VERIFY = "verify"
    REOPEN = "reopen"

    order = pw.ForeignKeyField(ServiceOrder, index=False, backref="reviews", on_delete="RESTRICT")
    when = pw.DateTimeField()
    user = pw.ForeignKeyField(User, backref="reviews", on_delete="RESTRICT")
    action = pw.CharField(max_length=10)
    customer_comments = pw.TextField(default="")
    closed = pw.BooleanField(default=False)
    rating = pw.SmallIntegerField(null=True)

    class Meta:
        indexes = ((("order", "when", "id"), False),)


class OpportunityType(Audited):
    name = pw.CharField(max_length=120)
    name_folded = pw.CharField(max_length=120, unique=True)
    active = pw.BooleanField(default=True)


class Opportunity(Audited):
    NEW = "new"
    WAITING = "waiting"
    WORKING = "working"
    CLOSED = "closed"
    LOST = "lost"
    STATUSES = (NEW, WAITING, WORKING, CLOSED, LOST)

    number = pw.IntegerField(unique=True)
    contact = pw.ForeignKeyField(Contact, index=False, backref="opportunities", on_delete="RESTRICT")
    client = pw.ForeignKeyField(Client, index=False, backref="opportunities", on_delete="RESTRICT")
    type = pw.ForeignKeyField(OpportunityType, index=False, backref="opportunities", on_delete="RESTRICT")
    agent = pw.ForeignKeyField(User, index=False, backref="opportunities", on_delete="RESTRICT")
    subject = pw.CharField(max_length=300)
    observations = pw.TextField(default="")
    found_us_by = pw.CharField(max_length=200, default="")
    status = pw.CharField(max_length=10, default=NEW)
    next_contact_date = pw.DateField(null=True, index=True)
    invoice_number = pw.CharField(max_length=60, default="")
    why_lost = pw.TextField(default="")
    to_improve = pw.TextField(default="")

    class Meta:
        indexes = (
            (("status", "number"), False),
            (("type", "number"), False),
            (("agent", "number"), False),
            (("client", "number"), False),
            (("contact", "number"), False),
            (("created_at",), False),
        )


class OpportunityEvent(Audited):
    opportunity = pw.ForeignKeyField(Opportunity, index=False, backref="events", on_delete="RESTRICT")
    when = pw.DateTimeField()
    user = pw.ForeignKeyField(User, backref="opportunity_events", on_delete="RESTRICT")
    from_status = pw.CharField(max_length=10, default="")
    to_status = pw.CharField(max_length=10)
    comment = pw.TextField(default="")
    next_contact_date = pw.DateField(null=True)
    invoice_number = pw.CharField(max_length=60, default="")
    why_lost = pw.TextField(default="")
    to_improve = pw.TextField(default="")

    class Meta:
        indexes = ((("opportunity", "when", "id"), False),)


class AuditEntry(BaseModel):
    """One change to a record, written in the transaction that makes it (schema step 7).

    `changes` is a JSON object {field: [old, new]}: an add has no old values, a delete
    keeps the whole record as it was, with no new ones."""

    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    STATUS = "status"

    table_name = pw.CharField(max_length=64)
    record_id = pw.BigIntegerField()
    record_key = pw.CharField(max_length=200, default="")
    action = pw.CharField(max_length=10)
    who = pw.CharField(max_length=64, default="")
    when = pw.DateTimeField()
    changes = pw.TextField(default="{}")

    class Meta:
        indexes = (
            (("table_name", "record_id", "id"), False),
            (("table_name", "record_key", "id"), False),
        )


ALL_MODELS = [
    Meta,
    Counter,
    User,
    Client,
    Contact,
    Category,
    Project,
    Activity,
    ServiceOrder,
    ServiceEntry,
    OrderReview,
    OpportunityType,
    Opportunity,
    OpportunityEvent,
]

# Tables a later schema step creates (step 1 makes ALL_MODELS); EVERY_MODEL is both.
LATER_MODELS = [AuditEntry]
EVERY_MODEL = ALL_MODELS + LATER_MODELS
