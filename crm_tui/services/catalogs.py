"""Catalogs: categories, clients, contacts, projects and opportunity types.

Clients, contacts and projects get consecutive keys from the database inside the
inserting transaction. Every list is a keyset page ordered by key (or by folded name for
categories and opportunity types); every export streams plain tuples.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import peewee as pw

from crm_tui.db import counters, name_index
from crm_tui.db.connection import database
from crm_tui.db.models import (
    Activity,
    Category,
    Client,
    Contact,
    Opportunity,
    OpportunityType,
    Project,
    ServiceOrder,
    User,
)
from crm_tui.db.text import fold
from crm_tui.export.table import BOOLEAN, DATE, INTEGER, TEXT, Column
from crm_tui.i18n import N_, _
from crm_tui.services.base import (
    FIRST_PAGE,
    KEEP,
    MAX_PAGE_SIZE,
    Actor,
    Page,
    PageRequest,
    WriteInput,
    check_email,
    active_record,
    clean_line,
    clean_text,
    delete_versioned,
    display_name,
    display_name_sql,
    get_or_raise,
    iter_keyset,
    keyset_page,
    limit_length,
    parse_date,
    require,
    insert_new,
    update_versioned,
    retrying_write,
    writing,
)
from crm_tui.services import permissions
from crm_tui.services.errors import NotFound, ValidationError
from crm_tui.services.fields import BOOL, LOOKUP, MULTILINE, Entity, Field, model_length
from crm_tui.services.fields import DATE as DATE_KIND

KIND_CATEGORY = N_("Category")
KIND_CLIENT = N_("Client")
KIND_CONTACT = N_("Contact")
KIND_PROJECT = N_("Project")
KIND_OPPORTUNITY_TYPE = N_("Opportunity type")

# --- the catalogs' fields, declared once ----------------------------------------------

ACTIVE = Field("active", N_("Active"), BOOL)

CLIENT = Entity("client", KIND_CLIENT, (
    Field("name", N_("Name"), required=True, max_length=model_length(Client, "name")),
    Field("tax_id", N_("Tax ID"), max_length=model_length(Client, "tax_id")),
    Field("phone", N_("Phone"), max_length=model_length(Client, "phone")),
    Field("email", N_("E-mail"), max_length=model_length(Client, "email")),
    Field("address", N_("Address"), MULTILINE),
    Field("notes", N_("Notes"), MULTILINE),
    ACTIVE,
))

CONTACT = Entity("contact", KIND_CONTACT, (
    Field("client_id", N_("Client"), LOOKUP, required=True, lookup="client"),
    Field("name", N_("Name"), required=True, max_length=model_length(Contact, "name")),
    Field("job_title", N_("Job title"), max_length=model_length(Contact, "job_title")),
    Field("phone", N_("Phone"), max_length=model_length(Contact, "phone")),
    Field("mobile", N_("Mobile"), max_length=model_length(Contact, "mobile")),
    Field("email", N_("E-mail"), max_length=model_length(Contact, "email")),
    Field("address", N_("Address"), MULTILINE),
    Field("notes", N_("Notes"), MULTILINE),
    ACTIVE,
))

CATEGORY = Entity("category", KIND_CATEGORY, (
    Field("name", N_("Name"), required=True, max_length=model_length(Category, "name")),
    ACTIVE,
))

OPPORTUNITY_TYPE = Entity("opportunity_type", KIND_OPPORTUNITY_TYPE, (
    Field("name", N_("Name"), required=True, max_length=model_length(OpportunityType, "name")),
    ACTIVE,
))

# The contact in charge is looked up among the contacts of the client chosen above it.
PROJECT = Entity("project", KIND_PROJECT, (
    Field("client_id", N_("Client"), LOOKUP, required=True, lookup="client"),
    Field("name", N_("Name"), required=True, max_length=model_length(Project, "name")),
    Field("start_date", N_("Start date"), DATE_KIND),
    Field("goal_date", N_("Goal date"), DATE_KIND),
    Field("user_in_charge_id", N_("User in charge"), LOOKUP, lookup="user"),
    Field("contact_in_charge_id", N_("Contact in charge"), LOOKUP, lookup="contact",
          lookup_filter=(("client_id", "client_id"),)),
    Field("description", N_("Description"), MULTILINE),
))

FIELD_LABELS = {
    **{field.name: field.label for entity in (CLIENT, CONTACT, PROJECT) for field in entity.fields},
    "key": N_("Key"),
    "client_key": N_("Client key"),
    "client_name": N_("Client name"),
}

# Keys typed as text longer than this cannot be a key (and would overflow an INTEGER).
_KEY_TEXT = re.compile(r"[0-9]{1,9}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}(?:\.0*)?")


def _label(field: str) -> str:
    return _(FIELD_LABELS[field])


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRecord:
    id: int
    name: str
    active: bool
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class OpportunityTypeRecord:
    id: int
    name: str
    active: bool
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class ClientRecord:
    id: int
    key: int
    name: str
    tax_id: str
    phone: str
    email: str
    address: str
    notes: str
    active: bool
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> str:
        return f"{self.key} {self.name}"


@dataclass(frozen=True)
class ContactRecord:
    id: int
    key: int
    client_id: int
    client_key: int
    client_name: str
    name: str
    job_title: str
    phone: str
    mobile: str
    email: str
    address: str
    notes: str
    active: bool
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> str:
        return f"{self.key} {self.name} ({self.client_name})"


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    key: int
    client_id: int
    client_key: int
    client_name: str
    name: str
    start_date: dt.date | None
    goal_date: dt.date | None
    user_in_charge_id: int | None
    user_in_charge_name: str
    contact_in_charge_id: int | None
    contact_in_charge_name: str
    description: str
    version: int
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str

    @property
    def label(self) -> str:
        return f"{self.key} {self.name} ({self.client_name})"


def _audit(row: pw.Model) -> dict[str, Any]:
    return {"version": row.version, "created_at": row.created_at, "created_by": row.created_by,
            "updated_at": row.updated_at, "updated_by": row.updated_by}


def _category_record(row: Category) -> CategoryRecord:
    return CategoryRecord(id=row.id, name=row.name, active=bool(row.active), **_audit(row))


def _opportunity_type_record(row: OpportunityType) -> OpportunityTypeRecord:
    return OpportunityTypeRecord(id=row.id, name=row.name, active=bool(row.active), **_audit(row))


def _client_record(row: Client) -> ClientRecord:
    return ClientRecord(id=row.id, key=row.key, name=row.name, tax_id=row.tax_id, phone=row.phone,
                        email=row.email, address=row.address, notes=row.notes, active=bool(row.active),
                        **_audit(row))


def _contact_record(row: Contact) -> ContactRecord:
    return ContactRecord(id=row.id, key=row.key, client_id=row.client_id, client_key=row.client.key,
                         client_name=row.client.name, name=row.name, job_title=row.job_title,
                         phone=row.phone, mobile=row.mobile, email=row.email, address=row.address,
                         notes=row.notes, active=bool(row.active), **_audit(row))


def _project_record(row: Project) -> ProjectRecord:
    user = row.user_in_charge if row.user_in_charge_id else None
    contact = row.contact_in_charge if row.contact_in_charge_id else None
    return ProjectRecord(
        id=row.id, key=row.key, client_id=row.client_id, client_key=row.client.key,
        client_name=row.client.name, name=row.name, start_date=row.start_date, goal_date=row.goal_date,
        user_in_charge_id=row.user_in_charge_id, user_in_charge_name=display_name(user),
        contact_in_charge_id=row.contact_in_charge_id,
        contact_in_charge_name=contact.name if contact is not None else "",
        description=row.description, **_audit(row))


# --- shared helpers -----------------------------------------------------------------


def _merge(allowed: tuple[str, ...], base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"unknown field(s): {', '.join(unknown)}")
    merged = dict(base)
    merged.update(fields)
    return merged


def _current(row: pw.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _max_length(model: type[pw.Model], field: str) -> int:
    return model._meta.fields[field].max_length


def _line(values: dict[str, Any], field: str, model: type[pw.Model], required: bool = False) -> str:
    value = clean_line(values.get(field))
    if required:
        require(value, field, _label(field))
    return limit_length(value, field, _label(field), _max_length(model, field))


def _email(values: dict[str, Any], model: type[pw.Model]) -> str:
    return check_email(_line(values, "email", model), "email", _label("email"))


def _folded(name: str, model: type[pw.Model]) -> str:
    return fold(name)[:_max_length(model, "name_folded")]


def _flag(value: Any) -> bool:
    """A yes/no field; text such as "False" or "no" (from a form or a sheet) means no."""
    if isinstance(value, str):
        parsed = _yes_or_no(value)
        return True if parsed is None else parsed
    return True if value is None else bool(value)


def _text_condition(text: str, folded_column: pw.Field, key_column: pw.Field | None = None):
    value = clean_line(text)
    if not value:
        return None
    condition = folded_column.contains(fold(value))
    if key_column is not None and _KEY_TEXT.fullmatch(value):
        condition = (key_column == int(value)) | condition
    return condition


def _lookup_condition(text: str, folded_column: pw.Field, key_column: pw.Field | None = None):
    """A typed key finds that key; anything else is a fragment of the name."""
    value = clean_line(text)
    if not value:
        return None
    if key_column is not None and _KEY_TEXT.fullmatch(value):
        return key_column == int(value)
    return folded_column.contains(fold(value))


# The orders a catalog list is read in; each has an index behind it, so any page of the
# list, in either direction, reads only its rows (keyset paging, never OFFSET).
KEY_ORDER = "key"
NAME_ORDER = "name"
KEYED_ORDERS = (KEY_ORDER, NAME_ORDER)  # clients, contacts, projects
NAMED_ORDERS = (NAME_ORDER,)  # categories, opportunity types


def _order_keys(model: type[pw.Model], order: str, orders: tuple[str, ...]) -> list[pw.Field]:
    """The keyset of a catalog's list order: the key, or the folded name (then the id,
    which ends the name index: `(name_folded, id)`)."""
    if order not in orders:
        raise ValidationError(_("The list cannot be sorted by {order}.").format(order=order), "order")
    if order == KEY_ORDER:
        return [model.key]
    if model._meta.fields["name_folded"].unique:
        return [model.name_folded]
    return [model.name_folded, model.id]


def _catalog_page(query: pw.ModelSelect, model: type[pw.Model], filters: list, text: str, request: PageRequest,
                  convert: Callable[[Any], Any], order: str, descending: bool) -> Page:
    """One page of a keyed catalog (clients, contacts) kept to `filters` (conditions on the
    catalog's own columns) and searched by `text`, in `order`."""
    query = _where(query, *filters)
    if order == KEY_ORDER and _windowed_search(text):
        condition = _text_condition(text, model.name_folded, model.key)
        read = _windowed_reader(query, model, filters, text)
        return keyset_page(query.where(condition), [model.key], descending, request, convert, read)
    if order == KEY_ORDER:
        query, keys = _name_search(query, model, text)
    else:
        keys = _order_keys(model, order, KEYED_ORDERS)
        query = _where(query, _text_condition(text, model.name_folded, model.key))
    return keyset_page(query, keys, descending, request, convert)


# The search box on PostgreSQL walks the catalog's keys from the cursor, a first window of
# them, where a common text fills its page. What it found there tells how common the text
# is: when the page would fill within a short walk, it walks on; otherwise it asks the
# trigram index for the keys beyond. The planner cannot make that choice: its estimates
# for LIKE '%text%' are far off either way.
# A walk costs every key it passes, the trigram index every name that holds the text (it
# reads them all, then keeps the first ones by key). A first name and the start of a last
# name ("Víctor M") hold a few names in a thousand: the walk to fill a page passes tens of
# thousands of keys, the trigram index reads a few hundred names, ten times less. The walk
# pays only for a text that fills its page within some ten thousand keys.
FIRST_WINDOW = 2_000
LONGEST_WALK = 20_000
# Three letters or digits in a row: a trigram that the index holds for few names. A text
# without one (a letter on each side of a space: "a m") has only trigrams of word starts
# and ends, which the index holds for most names; walking the rest of the keys costs less.
_WORD_PIECE = re.compile(r"[^\W_]{3}")
# A space between two such pieces ("juana her"). The trigrams that span a space, of word
# ends and starts ("na ", "  h", " he"), are each held by a large part of the names, and
# the trigram index reads every name it holds them for; with a wildcard in the space's
# place it reads only the pieces' own, rarer trigrams. A shorter word beside the space
# ("victor m") keeps it: those trigrams are all the index knows of that word.
_SPACE_BETWEEN_PIECES = re.compile(r"(?<=[^\W_]{3}) (?=[^\W_]{3})")


def _windowed_search(text: str) -> bool:
    """Whether the search box's `text` is read a window of keys first (PostgreSQL)."""
    return bool(fold(clean_line(text))) and name_index.is_postgres(database)


def _windowed_reader(base: pw.ModelSelect, model: type[pw.Model], filters: list, text: str):
    """Reads a page of `base` kept to the names holding `text`, in key order, in windows of
    keys walked on the index of the key with the name beside it (see
    crm_tui.db.name_index) under a condition the trigram index cannot serve, then, when
    the text is rare, through the trigram index for the keys beyond."""
    key = model.key
    walked = _name_holds(text, model.name_folded.concat(""), key)
    indexed = _indexed_name_holds(text, model.name_folded, key)
    keys = _where(model.select(key), *filters)
    has_word_piece = _WORD_PIECE.search(fold(clean_line(text))) is not None

    def read(query: pw.ModelSelect, count: int, ascending: bool, start: tuple | None) -> list:
        order = key.asc() if ascending else key.desc()
        edge = start[0] if start else _first_key(model, ascending)
        near = _keys_on(edge, FIRST_WINDOW, ascending)
        beyond = None if start is None else _past(key, start[0], ascending)
        rows = _rows(base, _where(keys, beyond, ~_past(key, near, ascending), walked), order, count)
        far = near
        if rows and len(rows) < count and _fills_within(len(rows), count - len(rows)):
            far = _keys_on(edge, FIRST_WINDOW + LONGEST_WALK, ascending)
            between = _where(keys, _past(key, near, ascending), ~_past(key, far, ascending), walked)
            rows += _rows(base, between, order, count - len(rows))
        if len(rows) == count:
            return rows
        missing = count - len(rows)
        if has_word_piece and name_index.has_trigram_index(database):
            return rows + _rows_through_trigrams(base, keys.where(indexed), key, far, ascending, missing)
        return rows + _rows(base, _where(keys, _past(key, far, ascending), walked), order, missing)

    return read


def _keys_on(edge, keys: int, ascending: bool):
    """The key `keys` on from `edge` in the walk's direction. A cursor's key is added here:
    sent with the number to add, a key below 32,768 goes as a small integer, and the
    server's sum of two small integers overflows past it."""
    if isinstance(edge, int):
        return edge + keys if ascending else edge - keys
    return pw.Expression(edge, "+" if ascending else "-", keys)


def _fills_within(found: int, missing: int) -> bool:
    """Whether a text found `found` times in the first window would fill the page within
    half the longest walk at that rate (the walk stops as soon as the page is full)."""
    return 2 * missing * FIRST_WINDOW <= found * LONGEST_WALK


def _name_holds(text: str, folded_column, key_column: pw.Field):
    """`_text_condition` with LIKE where it says ILIKE: the same rows, since both the folded
    name and the folded text are lower case already, and on PostgreSQL ten times cheaper a
    row (ILIKE lowers both sides of every comparison). PostgreSQL only: on SQLite peewee
    writes LIKE as the case-sensitive GLOB."""
    value = clean_line(text)
    condition = _holds_in_order(folded_column, [fold(value)])
    if _KEY_TEXT.fullmatch(value):
        condition = (key_column == int(value)) | condition
    return condition


def _indexed_name_holds(text: str, folded_column: pw.Field, key_column: pw.Field):
    """`_name_holds` for the trigram index to serve: for a text of words spaced by blanks,
    the index finds the names holding its words in order (see _SPACE_BETWEEN_PIECES) and
    each of those is checked for the whole text, by a condition the index cannot serve."""
    pieces = _SPACE_BETWEEN_PIECES.split(fold(clean_line(text)))
    if len(pieces) == 1:
        return _name_holds(text, folded_column, key_column)
    return _holds_in_order(folded_column, pieces) & _name_holds(text, folded_column.concat(""), key_column)


def _holds_in_order(column, pieces: list[str]) -> pw.Expression:
    """`column` LIKE '%piece%piece%', each piece escaped (PostgreSQL)."""
    escaped = [piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for piece in pieces]
    pattern = pw.NodeList((pw.Value("%" + "%".join(escaped) + "%", converter=False), pw.SQL("ESCAPE"),
                           pw.Value("\\", converter=False)))
    return pw.Expression(column, pw.OP.LIKE, pattern)


def _rows(base: pw.ModelSelect, keys: pw.ModelSelect, order, count: int) -> list:
    chosen = keys.order_by(order).limit(count)
    return list(base.where(order.node.in_(chosen)).order_by(order))


def _rows_through_trigrams(base: pw.ModelSelect, matching: pw.ModelSelect, key: pw.Field, far,
                           ascending: bool, count: int) -> list:
    """`_rows` of the keys past `far` among `matching`, whose condition the trigram index
    serves. The key appears in the choice only as an expression, which no index holds, so
    the plan reads the trigram index, not the key's: ordered by the key itself, the
    planner, expecting many names to hold the text, would rather walk the key's index until
    the page is full, through every key when the text is rare (always so in the plan the
    server keeps for a statement prepared once for any text, as the driver prepares those
    it runs often); bounded by the key itself, it would add the bitmap of every key past the
    bound to the trigram index's."""
    unindexed = key + 0
    chosen = (matching.where(_past(unindexed, far, ascending))
              .order_by(unindexed.asc() if ascending else unindexed.desc()).limit(count))
    return list(base.where(key.in_(chosen)).order_by(key.asc() if ascending else key.desc()))


def _past(key: pw.Field, value, ascending: bool):
    return (key > value) if ascending else (key < value)


def _first_key(model: type[pw.Model], ascending: bool) -> pw.ModelSelect:
    """The catalog's first key in the walk's direction, as a subquery."""
    return model.select(pw.fn.MIN(model.key) if ascending else pw.fn.MAX(model.key))


def _name_search(query: pw.ModelSelect, model: type[pw.Model], text: str,
                 lookup: bool = False) -> tuple[pw.ModelSelect, list[pw.Field]]:
    """`query` kept to the rows whose folded name holds `text` (or, for a number, whose key
    it is: in a look-up only that key), and the keys to page the result by.

    The search box of a large catalog: on SQLite a text of three characters or more goes
    through the catalog's name index, joined on the key, so the list is read in the
    index's key order and stops at the page (see crm_tui.db.name_index)."""
    value = clean_line(text)
    if not value:
        return query, [model.key]
    folded = fold(value)
    number = int(value) if _KEY_TEXT.fullmatch(value) else None
    if lookup and number is not None:
        return query.where(model.key == number), [model.key]
    if not name_index.uses_index(database, folded):
        return query.where(_text_condition(value, model.name_folded, model.key)), [model.key]
    names = name_index.INDEX_OF[model._meta.table_name]
    if number is not None:  # few names hold a number: the list of their keys is short
        held = model.key.in_(name_index.keys_matching(names, folded))
        return query.where((model.key == number) | held), [model.key]
    joined = (query.select_extend(names.key).switch(model)
              .join(names, on=(names.key == model.key), attr=names._meta.name))
    return joined.where(name_index.matches(names, folded)), [names.key]


def _where(query: pw.ModelSelect, *conditions) -> pw.ModelSelect:
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


def _active(column: pw.Field, active_only: bool):
    return (column == True) if active_only else None  # noqa: E712


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE_SIZE))


def _one(query: pw.ModelSelect, convert: Callable[[Any], Any], what: str, record_id: int):
    row = query.first()
    if row is None:
        raise NotFound(_("{what} {id} does not exist.").format(what=_(what), id=record_id))
    return convert(row)


def _count(column: pw.Field, record_id: int) -> int:
    return column.model.select().where(column == record_id).count()


def _keep_counter_at_least(series: str, value: int) -> None:
    """After storing a key given from outside, the series must not hand it out again."""
    database.execute_sql(
        "INSERT INTO counter (name, value) VALUES ({p}, {p}) "
        "ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counter.value > excluded.value "
        "THEN counter.value ELSE excluded.value END".format(p=database.param),
        (series, int(value)),
    )


# --- named catalogs: categories and opportunity types --------------------------------

# --- what adds and modifies are given (fields left out: the default, or as they are) ------


@dataclass(frozen=True)
class CategoryInput(WriteInput):
    name: Any = KEEP
    active: Any = KEEP


@dataclass(frozen=True)
class OpportunityTypeInput(WriteInput):
    name: Any = KEEP
    active: Any = KEEP


@dataclass(frozen=True)
class ClientInput(WriteInput):
    name: Any = KEEP
    tax_id: Any = KEEP
    phone: Any = KEEP
    email: Any = KEEP
    address: Any = KEEP
    notes: Any = KEEP
    active: Any = KEEP


@dataclass(frozen=True)
class ContactInput(WriteInput):
    client_id: Any = KEEP
    name: Any = KEEP
    job_title: Any = KEEP
    phone: Any = KEEP
    mobile: Any = KEEP
    email: Any = KEEP
    address: Any = KEEP
    notes: Any = KEEP
    active: Any = KEEP


@dataclass(frozen=True)
class ProjectInput(WriteInput):
    client_id: Any = KEEP
    name: Any = KEEP
    start_date: Any = KEEP
    goal_date: Any = KEEP
    user_in_charge_id: Any = KEEP
    contact_in_charge_id: Any = KEEP
    description: Any = KEEP


NAMED_FIELDS = ("name", "active")
NAMED_DEFAULTS = {"name": "", "active": True}


def _clean_named(model: type[pw.Model], values: dict[str, Any], record_id: int | None,
                 duplicate_message: str) -> dict[str, Any]:
    name = _line(values, "name", model, required=True)
    folded = _folded(name, model)
    clash = model.select().where(model.name_folded == folded)
    if record_id is not None:
        clash = clash.where(model.id != record_id)
    existing = clash.first()
    if existing is not None:
        raise ValidationError(duplicate_message.format(name=existing.name), "name")
    return {"name": name, "name_folded": folded, "active": _flag(values.get("active", True))}


def _duplicate_category() -> str:
    return _("The category {name} already exists (names are compared without accents or capitals).")


def _duplicate_type() -> str:
    return _("The opportunity type {name} already exists (names are compared without accents or capitals).")


# categories


@retrying_write
def add_category(actor: Actor, data: CategoryInput) -> CategoryRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        values = _clean_named(Category, _merge(NAMED_FIELDS, NAMED_DEFAULTS, fields), None,
                              _duplicate_category())
        category_id = insert_new(Category, actor, values)
    return get_category(category_id)


@retrying_write
def modify_category(actor: Actor, category_id: int, version: int, data: CategoryInput) -> CategoryRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        current = get_or_raise(Category, category_id, _(KIND_CATEGORY))
        values = _clean_named(Category, _merge(NAMED_FIELDS, _current(current, NAMED_FIELDS), fields),
                              category_id, _duplicate_category())
        update_versioned(Category, category_id, version, actor, values)
    return get_category(category_id)


def set_category_active(actor: Actor, category_id: int, version: int, active: bool) -> CategoryRecord:
    return modify_category(actor, category_id, version, CategoryInput(active=bool(active)))


@retrying_write
def delete_category(actor: Actor, category_id: int, version: int) -> None:
    with writing():
        row = get_or_raise(Category, category_id, _(KIND_CATEGORY))
        counts = {"activities": _count(Activity.category, category_id),
                  "orders": _count(ServiceOrder.category, category_id)}
        permissions.check_delete_unused(actor, counts, _("The category {name} cannot be deleted: it is used by {uses}. "
                                  "Deactivate it instead."), row.name)
        delete_versioned(Category, category_id, version, actor)


def get_category(category_id: int) -> CategoryRecord:
    return _one(Category.select().where(Category.id == category_id), _category_record, KIND_CATEGORY,
                category_id)


def list_categories(request: PageRequest = FIRST_PAGE, text: str = "", active_only: bool = False,
                    order: str = NAME_ORDER, descending: bool = False) -> Page[CategoryRecord]:
    query = _where(Category.select(), _text_condition(text, Category.name_folded),
                   _active(Category.active, active_only))
    return keyset_page(query, _order_keys(Category, order, NAMED_ORDERS), descending, request,
                       _category_record)


def lookup_categories(text: str, limit: int = 10, active_only: bool = True) -> list[CategoryRecord]:
    query = _where(Category.select(), _lookup_condition(text, Category.name_folded),
                   _active(Category.active, active_only))
    return [_category_record(r) for r in query.order_by(Category.name_folded, Category.id).limit(_limit(limit))]


# opportunity types (admins only)


@retrying_write
def add_opportunity_type(actor: Actor, data: OpportunityTypeInput) -> OpportunityTypeRecord:
    fields = data.given()
    with writing():
        permissions.check_manage_catalog(actor, _("opportunity types"))
        values = _clean_named(OpportunityType, _merge(NAMED_FIELDS, NAMED_DEFAULTS, fields), None,
                              _duplicate_type())
        type_id = insert_new(OpportunityType, actor, values)
    return get_opportunity_type(type_id)


@retrying_write
def modify_opportunity_type(actor: Actor, type_id: int, version: int,
                            data: OpportunityTypeInput) -> OpportunityTypeRecord:
    fields = data.given()
    with writing():
        permissions.check_manage_catalog(actor, _("opportunity types"))
        current = get_or_raise(OpportunityType, type_id, _(KIND_OPPORTUNITY_TYPE))
        values = _clean_named(OpportunityType, _merge(NAMED_FIELDS, _current(current, NAMED_FIELDS), fields),
                              type_id, _duplicate_type())
        update_versioned(OpportunityType, type_id, version, actor, values)
    return get_opportunity_type(type_id)


def set_opportunity_type_active(actor: Actor, type_id: int, version: int,
                                active: bool) -> OpportunityTypeRecord:
    return modify_opportunity_type(actor, type_id, version, OpportunityTypeInput(active=bool(active)))


@retrying_write
def delete_opportunity_type(actor: Actor, type_id: int, version: int) -> None:
    with writing():
        permissions.check_manage_catalog(actor, _("opportunity types"))
        row = get_or_raise(OpportunityType, type_id, _(KIND_OPPORTUNITY_TYPE))
        counts = {"opportunities": _count(Opportunity.type, type_id)}
        permissions.check_delete_unused(actor, counts, _("The opportunity type {name} cannot be deleted: it is used by {uses}. "
                                  "Deactivate it instead."), row.name)
        delete_versioned(OpportunityType, type_id, version, actor)


def get_opportunity_type(type_id: int) -> OpportunityTypeRecord:
    return _one(OpportunityType.select().where(OpportunityType.id == type_id), _opportunity_type_record,
                KIND_OPPORTUNITY_TYPE, type_id)


def list_opportunity_types(request: PageRequest = FIRST_PAGE, text: str = "", active_only: bool = False,
                           order: str = NAME_ORDER, descending: bool = False) -> Page[OpportunityTypeRecord]:
    query = _where(OpportunityType.select(), _text_condition(text, OpportunityType.name_folded),
                   _active(OpportunityType.active, active_only))
    return keyset_page(query, _order_keys(OpportunityType, order, NAMED_ORDERS), descending, request,
                       _opportunity_type_record)


def lookup_opportunity_types(text: str, limit: int = 10,
                             active_only: bool = True) -> list[OpportunityTypeRecord]:
    query = _where(OpportunityType.select(), _lookup_condition(text, OpportunityType.name_folded),
                   _active(OpportunityType.active, active_only))
    ordered = query.order_by(OpportunityType.name_folded, OpportunityType.id).limit(_limit(limit))
    return [_opportunity_type_record(r) for r in ordered]


# --- clients ------------------------------------------------------------------------

CLIENT_FIELDS = ("name", "tax_id", "phone", "email", "address", "notes", "active")
CLIENT_DEFAULTS = {"name": "", "tax_id": "", "phone": "", "email": "", "address": "", "notes": "",
                   "active": True}


def _clean_client(values: dict[str, Any]) -> dict[str, Any]:
    name = _line(values, "name", Client, required=True)
    return {
        "name": name,
        "name_folded": _folded(name, Client),
        "tax_id": _line(values, "tax_id", Client),
        "phone": _line(values, "phone", Client),
        "email": _email(values, Client),
        "address": clean_text(values.get("address")),
        "notes": clean_text(values.get("notes")),
        "active": _flag(values.get("active", True)),
    }


def _insert_client(actor: Actor, values: dict[str, Any], key: int | None = None) -> int:
    if key is None:
        key = counters.take_next(counters.CLIENT_KEY)
    else:
        _keep_counter_at_least(counters.CLIENT_KEY, key)
    return insert_new(Client, actor, {"key": key, **values})


def _update_client(actor: Actor, row: Client, version: int, fields: dict[str, Any]) -> None:
    values = _clean_client(_merge(CLIENT_FIELDS, _current(row, CLIENT_FIELDS), fields))
    update_versioned(Client, row.id, version, actor, values)


def next_client_key() -> int:
    return counters.peek_next(counters.CLIENT_KEY)


def largest_client_key() -> int:
    """The largest key stored (0 when none): MAX over the key's index, never the rows."""
    return Client.select(pw.fn.MAX(Client.key)).scalar() or 0


@retrying_write
def add_client(actor: Actor, data: ClientInput) -> ClientRecord:
    fields = data.given()
    values = _clean_client(_merge(CLIENT_FIELDS, CLIENT_DEFAULTS, fields))
    with writing():
        permissions.check_may_write(actor)
        client_id = _insert_client(actor, values)
    return get_client(client_id)


@retrying_write
def modify_client(actor: Actor, client_id: int, version: int, data: ClientInput) -> ClientRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        _update_client(actor, get_or_raise(Client, client_id, _(KIND_CLIENT)), version, fields)
    return get_client(client_id)


def set_client_active(actor: Actor, client_id: int, version: int, active: bool) -> ClientRecord:
    return modify_client(actor, client_id, version, ClientInput(active=bool(active)))


@retrying_write
def delete_client(actor: Actor, client_id: int, version: int) -> None:
    with writing():
        row = get_or_raise(Client, client_id, _(KIND_CLIENT))
        counts = {"contacts": _count(Contact.client, client_id),
                  "projects": _count(Project.client, client_id),
                  "activities": _count(Activity.client, client_id),
                  "orders": _count(ServiceOrder.client, client_id),
                  "opportunities": _count(Opportunity.client, client_id)}
        permissions.check_delete_unused(actor, counts, _("The client {name} cannot be deleted: it has {uses}. "
                                  "Deactivate it instead."), row.name)
        delete_versioned(Client, client_id, version, actor)


def get_client(client_id: int) -> ClientRecord:
    return _one(Client.select().where(Client.id == client_id), _client_record, KIND_CLIENT, client_id)


def find_client_by_key(key: int) -> ClientRecord | None:
    row = Client.get_or_none(Client.key == int(key))
    return _client_record(row) if row else None


def _client_filters(text: str, active_only: bool) -> list:
    return [_text_condition(text, Client.name_folded, Client.key), _active(Client.active, active_only)]


def list_clients(request: PageRequest = FIRST_PAGE, text: str = "", active_only: bool = False,
                 order: str = KEY_ORDER, descending: bool = False) -> Page[ClientRecord]:
    return _catalog_page(Client.select(), Client, [_active(Client.active, active_only)], text, request,
                         _client_record, order, descending)


def lookup_clients(text: str, limit: int = 10, active_only: bool = True) -> list[ClientRecord]:
    query, keys = _name_search(Client.select(), Client, text, lookup=True)
    query = _where(query, _active(Client.active, active_only))
    return [_client_record(r) for r in query.order_by(*keys).limit(_limit(limit))]


# --- contacts -----------------------------------------------------------------------

CONTACT_FIELDS = ("client_id", "name", "job_title", "phone", "mobile", "email", "address", "notes", "active")
CONTACT_DEFAULTS = {"client_id": None, "name": "", "job_title": "", "phone": "", "mobile": "", "email": "",
                    "address": "", "notes": "", "active": True}


def _clean_contact(values: dict[str, Any], current: Contact | None = None) -> dict[str, Any]:
    client_id = active_record(Client, values.get("client_id"), "client_id", _label("client_id"), required=True,
                              keep_inactive=current.client_id if current else None).id
    name = _line(values, "name", Contact, required=True)
    cleaned = {
        "client": client_id,
        "name": name,
        "name_folded": _folded(name, Contact),
        "job_title": _line(values, "job_title", Contact),
        "phone": _line(values, "phone", Contact),
        "mobile": _line(values, "mobile", Contact),
        "email": _email(values, Contact),
        "address": clean_text(values.get("address")),
        "notes": clean_text(values.get("notes")),
        "active": _flag(values.get("active", True)),
    }
    return cleaned


def _contact_query() -> pw.ModelSelect:
    return Contact.select(Contact, Client.id, Client.key, Client.name).join(Client)


def _insert_contact(actor: Actor, values: dict[str, Any], key: int | None = None) -> int:
    if key is None:
        key = counters.take_next(counters.CONTACT_KEY)
    else:
        _keep_counter_at_least(counters.CONTACT_KEY, key)
    return insert_new(Contact, actor, {"key": key, **values})


def _update_contact(actor: Actor, row: Contact, version: int, fields: dict[str, Any]) -> None:
    values = _clean_contact(_merge(CONTACT_FIELDS, _current(row, CONTACT_FIELDS), fields), row)
    update_versioned(Contact, row.id, version, actor, values)


def next_contact_key() -> int:
    return counters.peek_next(counters.CONTACT_KEY)


def largest_contact_key() -> int:
    """The largest key stored (0 when none): MAX over the key's index, never the rows."""
    return Contact.select(pw.fn.MAX(Contact.key)).scalar() or 0


@retrying_write
def add_contact(actor: Actor, data: ContactInput) -> ContactRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        values = _clean_contact(_merge(CONTACT_FIELDS, CONTACT_DEFAULTS, fields))
        contact_id = _insert_contact(actor, values)
    return get_contact(contact_id)


@retrying_write
def modify_contact(actor: Actor, contact_id: int, version: int, data: ContactInput) -> ContactRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        _update_contact(actor, get_or_raise(Contact, contact_id, _(KIND_CONTACT)), version, fields)
    return get_contact(contact_id)


def set_contact_active(actor: Actor, contact_id: int, version: int, active: bool) -> ContactRecord:
    return modify_contact(actor, contact_id, version, ContactInput(active=bool(active)))


@retrying_write
def delete_contact(actor: Actor, contact_id: int, version: int) -> None:
    with writing():
        row = get_or_raise(Contact, contact_id, _(KIND_CONTACT))
        counts = {"activities": _count(Activity.contact, contact_id),
                  "orders": _count(ServiceOrder.contact, contact_id),
                  "opportunities": _count(Opportunity.contact, contact_id),
                  "projects_in_charge": _count(Project.contact_in_charge, contact_id)}
        permissions.check_delete_unused(actor, counts, _("The contact {name} cannot be deleted: it has {uses}. "
                                  "Deactivate it instead."), row.name)
        delete_versioned(Contact, contact_id, version, actor)


def get_contact(contact_id: int) -> ContactRecord:
    return _one(_contact_query().where(Contact.id == contact_id), _contact_record, KIND_CONTACT, contact_id)


def find_contact_by_key(key: int) -> ContactRecord | None:
    row = _contact_query().where(Contact.key == int(key)).first()
    return _contact_record(row) if row else None


def _contact_filters(text: str, active_only: bool, client_id: int | None) -> list:
    return [_text_condition(text, Contact.name_folded, Contact.key), _active(Contact.active, active_only),
            (Contact.client == client_id) if client_id else None]


def list_contacts(request: PageRequest = FIRST_PAGE, text: str = "", active_only: bool = False,
                  client_id: int | None = None, order: str = KEY_ORDER,
                  descending: bool = False) -> Page[ContactRecord]:
    return _catalog_page(_contact_query(), Contact, _contact_filters("", active_only, client_id), text, request,
                         _contact_record, order, descending)


def lookup_contacts(text: str, limit: int = 10, client_id: int | None = None,
                    active_only: bool = True) -> list[ContactRecord]:
    query, keys = _name_search(_contact_query(), Contact, text, lookup=True)
    query = _where(query, *_contact_filters("", active_only, client_id))
    return [_contact_record(r) for r in query.order_by(*keys).limit(_limit(limit))]


# --- projects -----------------------------------------------------------------------

PROJECT_FIELDS = ("client_id", "name", "start_date", "goal_date", "user_in_charge_id",
                  "contact_in_charge_id", "description")
PROJECT_DEFAULTS = {"client_id": None, "name": "", "start_date": None, "goal_date": None,
                    "user_in_charge_id": None, "contact_in_charge_id": None, "description": ""}


def _contact_in_charge(value: Any, client_id: int, current: Project | None) -> int | None:
    """The contact in charge: an active contact (or the one the project had) of its client."""
    contact = active_record(Contact, value, "contact_in_charge_id", _label("contact_in_charge_id"), required=False,
                            keep_inactive=current.contact_in_charge_id if current else None)
    if contact is None:
        return None
    if contact.client_id != client_id:
        raise ValidationError(
            _("{field}: choose a contact of the project's client.").format(field=_label("contact_in_charge_id")),
            "contact_in_charge_id")
    return contact.id


def _clean_project(values: dict[str, Any], current: Project | None = None) -> dict[str, Any]:
    client_id = active_record(Client, values.get("client_id"), "client_id", _label("client_id"), required=True,
                              keep_inactive=current.client_id if current else None).id
    name = _line(values, "name", Project, required=True)
    start = parse_date(values.get("start_date"), "start_date", _label("start_date"))
    goal = parse_date(values.get("goal_date"), "goal_date", _label("goal_date"))
    if start and goal and goal < start:
        raise ValidationError(
            _("{field} cannot be before the start date.").format(field=_label("goal_date")), "goal_date")
    user = active_record(User, values.get("user_in_charge_id"), "user_in_charge_id", _label("user_in_charge_id"),
                         required=False, keep_inactive=current.user_in_charge_id if current else None)
    user_id = user.id if user else None
    contact_id = _contact_in_charge(values.get("contact_in_charge_id"), client_id, current)
    return {"client": client_id, "name": name, "name_folded": _folded(name, Project), "start_date": start,
            "goal_date": goal, "user_in_charge": user_id, "contact_in_charge": contact_id,
            "description": clean_text(values.get("description"))}


def _project_query() -> pw.ModelSelect:
    return (Project.select(Project, Client.id, Client.key, Client.name, User.id, User.username,
                           User.full_name, Contact.id, Contact.name)
            .join(Client, on=Project.client)
            .switch(Project).join(User, pw.JOIN.LEFT_OUTER, on=Project.user_in_charge)
            .switch(Project).join(Contact, pw.JOIN.LEFT_OUTER, on=Project.contact_in_charge))


def next_project_key() -> int:
    return counters.peek_next(counters.PROJECT_KEY)


def largest_project_key() -> int:
    """The largest key stored (0 when none): MAX over the key's index, never the rows."""
    return Project.select(pw.fn.MAX(Project.key)).scalar() or 0


@retrying_write
def add_project(actor: Actor, data: ProjectInput) -> ProjectRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        values = _clean_project(_merge(PROJECT_FIELDS, PROJECT_DEFAULTS, fields))
        key = counters.take_next(counters.PROJECT_KEY)
        project_id = insert_new(Project, actor, {"key": key, **values})
    return get_project(project_id)


@retrying_write
def modify_project(actor: Actor, project_id: int, version: int, data: ProjectInput) -> ProjectRecord:
    fields = data.given()
    with writing():
        permissions.check_may_write(actor)
        row = get_or_raise(Project, project_id, _(KIND_PROJECT))
        values = _clean_project(_merge(PROJECT_FIELDS, _current(row, PROJECT_FIELDS), fields), row)
        update_versioned(Project, project_id, version, actor, values)
    return get_project(project_id)


@retrying_write
def delete_project(actor: Actor, project_id: int, version: int) -> None:
    with writing():
        row = get_or_raise(Project, project_id, _(KIND_PROJECT))
        counts = {"orders": _count(ServiceOrder.project, project_id)}
        permissions.check_delete_unused(actor, counts, _("The project {name} cannot be deleted: it has {uses}."),
                                        row.name)
        delete_versioned(Project, project_id, version, actor)


def get_project(project_id: int) -> ProjectRecord:
    return _one(_project_query().where(Project.id == project_id), _project_record, KIND_PROJECT, project_id)


def list_projects(request: PageRequest = FIRST_PAGE, text: str = "", client_id: int | None = None,
                  order: str = KEY_ORDER, descending: bool = False) -> Page[ProjectRecord]:
    query = _where(_project_query(), _text_condition(text, Project.name_folded, Project.key),
                   (Project.client == client_id) if client_id else None)
    return keyset_page(query, _order_keys(Project, order, KEYED_ORDERS), descending, request, _project_record)


def lookup_projects(text: str, limit: int = 10, client_id: int | None = None) -> list[ProjectRecord]:
    query = _where(_project_query(), _lookup_condition(text, Project.name_folded, Project.key),
                   (Project.client == client_id) if client_id else None)
    return [_project_record(r) for r in query.order_by(Project.key).limit(_limit(limit))]


# --- export -------------------------------------------------------------------------

CLIENT_COLUMNS = [
    Column("key", N_("Key"), INTEGER, 8),
    Column("name", CLIENT.field("name").label, TEXT, 40),
    Column("tax_id", CLIENT.field("tax_id").label, TEXT, 16),
    Column("phone", CLIENT.field("phone").label, TEXT, 16),
    Column("email", CLIENT.field("email").label, TEXT, 30),
    Column("address", CLIENT.field("address").label, TEXT, 40),
    Column("notes", CLIENT.field("notes").label, TEXT, 40),
    Column("active", CLIENT.field("active").label, BOOLEAN, 8),
]

CONTACT_COLUMNS = [
    Column("key", N_("Key"), INTEGER, 8),
    Column("name", CONTACT.field("name").label, TEXT, 32),
    Column("client_key", N_("Client key"), INTEGER, 10),
    Column("client_name", N_("Client name"), TEXT, 32),
    Column("job_title", CONTACT.field("job_title").label, TEXT, 20),
    Column("phone", CONTACT.field("phone").label, TEXT, 16),
    Column("mobile", CONTACT.field("mobile").label, TEXT, 16),
    Column("email", CONTACT.field("email").label, TEXT, 30),
    Column("address", CONTACT.field("address").label, TEXT, 40),
    Column("notes", CONTACT.field("notes").label, TEXT, 40),
    Column("active", CONTACT.field("active").label, BOOLEAN, 8),
]

PROJECT_COLUMNS = [
    Column("key", N_("Key"), INTEGER, 8),
    Column("name", PROJECT.field("name").label, TEXT, 32),
    Column("client_key", N_("Client key"), INTEGER, 10),
    Column("client_name", N_("Client name"), TEXT, 32),
    Column("start_date", PROJECT.field("start_date").label, DATE, 12),
    Column("goal_date", PROJECT.field("goal_date").label, DATE, 12),
    Column("user_in_charge", PROJECT.field("user_in_charge_id").label, TEXT, 24),
    Column("contact_in_charge", PROJECT.field("contact_in_charge_id").label, TEXT, 24),
    Column("description", PROJECT.field("description").label, TEXT, 40),
]


def iter_client_rows(text: str = "", active_only: bool = False, order: str = KEY_ORDER,
                     descending: bool = False) -> Iterator[tuple]:
    """Every client matching the filters, as tuples in CLIENT_COLUMNS order, in the list's
    `order` (by key unless told)."""
    keys = _order_keys(Client, order, KEYED_ORDERS)
    query = _where(Client.select(Client.key, Client.name, Client.tax_id, Client.phone, Client.email,
                                 Client.address, Client.notes, Client.active, *keys),
                   *_client_filters(text, active_only)).tuples()
    for row in iter_keyset(query, keys, descending):
        yield row[:-len(keys)]


def iter_contact_rows(text: str = "", active_only: bool = False, client_id: int | None = None,
                      order: str = KEY_ORDER, descending: bool = False) -> Iterator[tuple]:
    """Every contact matching the filters, as tuples in CONTACT_COLUMNS order, in the
    list's `order` (by key unless told)."""
    keys = _order_keys(Contact, order, KEYED_ORDERS)
    query = _where(Contact.select(Contact.key, Contact.name, Client.key, Client.name, Contact.job_title,
                                  Contact.phone, Contact.mobile, Contact.email, Contact.address,
                                  Contact.notes, Contact.active, *keys).join(Client),
                   *_contact_filters(text, active_only, client_id)).tuples()
    for row in iter_keyset(query, keys, descending):
        yield row[:-len(keys)]


def iter_project_rows(text: str = "", client_id: int | None = None, order: str = KEY_ORDER,
                      descending: bool = False) -> Iterator[tuple]:
    """Every project matching the filters, as tuples in PROJECT_COLUMNS order, in the
    list's `order` (by key unless told)."""
    keys = _order_keys(Project, order, KEYED_ORDERS)
    query = _where(Project.select(Project.key, Project.name, Client.key, Client.name, Project.start_date,
                                  Project.goal_date, display_name_sql(User), Contact.name,
                                  Project.description, *keys)
                   .join(Client, on=Project.client)
                   .switch(Project).join(User, pw.JOIN.LEFT_OUTER, on=Project.user_in_charge)
                   .switch(Project).join(Contact, pw.JOIN.LEFT_OUTER, on=Project.contact_in_charge),
                   _text_condition(text, Project.name_folded, Project.key),
                   (Project.client == client_id) if client_id else None).tuples()
    for row in iter_keyset(query, keys, descending):
        (key, name, client_key, client_name, start, goal, user_name, contact_name,
         description) = row[:-len(keys)]
        yield (key, name, client_key, client_name, start, goal, user_name or "", contact_name or "", description)


def count_client_rows(text: str = "", active_only: bool = False) -> int:
    """How many rows iter_client_rows() gives for the same filters."""
    return _where(Client.select(), *_client_filters(text, active_only)).count()


def count_contact_rows(text: str = "", active_only: bool = False, client_id: int | None = None) -> int:
    """How many rows iter_contact_rows() gives for the same filters."""
    return _where(Contact.select().join(Client), *_contact_filters(text, active_only, client_id)).count()


def count_project_rows(text: str = "", client_id: int | None = None) -> int:
    """How many rows iter_project_rows() gives for the same filters."""
    return _where(Project.select(), _text_condition(text, Project.name_folded, Project.key),
                  (Project.client == client_id) if client_id else None).count()


# --- import -------------------------------------------------------------------------

_TRUE_WORDS = {"1", "true", "yes", "y", "x", "si", "s", "verdadero", "active", "activo", "activa"}
_FALSE_WORDS = {"0", "false", "no", "n", "falso", "inactive", "inactivo", "inactiva"}


def _import_text(value: Any) -> str:
    return "" if value is None else str(value)


def _import_key(values: dict[str, str], field: str) -> int | None:
    text = clean_line(values.get(field))
    if not text:
        return None
    if not _WHOLE_NUMBER.fullmatch(text) or int(float(text)) == 0:
        raise ValidationError(
            _("{field}: {value} is not a valid key (a whole number from 1).").format(
                field=_label(field), value=text[:40]), field)
    return int(float(text))


def _yes_or_no(value: str) -> bool | None:
    """True / False for the usual ways of writing yes and no; None for blank text."""
    text = fold(clean_line(value))
    if not text:
        return None
    if text in _TRUE_WORDS or text == fold(_("Yes")):
        return True
    if text in _FALSE_WORDS or text == fold(_("No")):
        return False
    raise ValidationError(
        _("{field}: {value} is neither yes nor no.").format(field=_label("active"), value=text[:40]), "active")


def _import_active(values: dict[str, str]) -> bool | None:
    return _yes_or_no(values.get("active", ""))


def _import_fields(values: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """The columns present in the row; absent columns keep what the record has."""
    fields: dict[str, Any] = {n: values[n] for n in names if n in values and n != "active"}
    active = _import_active(values)
    if active is not None:
        fields["active"] = active
    return fields


def _import_client_of_contact(actor: Actor, values: dict[str, str]) -> int:
    key = _import_key(values, "client_key")
    name = clean_line(values.get("client_name"))
    if key is not None:
        row = Client.get_or_none(Client.key == key)
        if row is not None:
            return row.id
    if name:
        row = (Client.select().where(Client.name_folded == _folded(name, Client))
               .order_by(Client.key).first())
        if row is not None:
            return row.id
    if not name:
        field = "client_name" if key is not None else "client_key"
        raise ValidationError(
            _("{field} is required to find or create the contact's client.").format(field=_label(field)), field)
    values_for_client = _clean_client({"name": name})
    return _insert_client(actor, values_for_client, key)


def _normalized_row(values: dict[str, Any]) -> dict[str, str]:
    return {str(k): _import_text(v) for k, v in values.items()}


@retrying_write
def import_contact_row(actor: Actor, values: dict[str, str]) -> ContactRecord:
    """Add or update one contact from a row keyed by CONTACT_COLUMNS keys (what `crm export
    contacts` writes); the client is found by key, then by name, or else created."""
    row = _normalized_row(values)
    with writing():
        permissions.check_may_write(actor)
        key = _import_key(row, "key")
        fields = _import_fields(row, CONTACT_FIELDS)
        existing = Contact.get_or_none(Contact.key == key) if key is not None else None
        names_a_client = bool(clean_line(row.get("client_key")) or clean_line(row.get("client_name")))
        if existing is None or names_a_client:
            fields["client_id"] = _import_client_of_contact(actor, row)
        if existing is not None:
            _update_contact(actor, existing, existing.version, fields)
            contact_id = existing.id
        else:
            cleaned = _clean_contact(_merge(CONTACT_FIELDS, CONTACT_DEFAULTS, fields))
            contact_id = _insert_contact(actor, cleaned, key)
    return get_contact(contact_id)


@retrying_write
def import_client_row(actor: Actor, values: dict[str, str]) -> ClientRecord:
    """Add or update one client from a row keyed by CLIENT_COLUMNS keys."""
    row = _normalized_row(values)
    with writing():
        permissions.check_may_write(actor)
        key = _import_key(row, "key")
        fields = _import_fields(row, CLIENT_FIELDS)
        existing = Client.get_or_none(Client.key == key) if key is not None else None
        if existing is not None:
            _update_client(actor, existing, existing.version, fields)
            client_id = existing.id
        else:
            client_id = _insert_client(actor, _clean_client(_merge(CLIENT_FIELDS, CLIENT_DEFAULTS, fields)), key)
    return get_client(client_id)
