"""Opportunities: numbering, the status lifecycle and its history, lists, export rows."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.db.models import Client, Contact, Opportunity, OpportunityEvent, OpportunityType, User
from crm_tui.db.text import fold
from crm_tui.services import Actor, ConflictError, DateRange, NotFound, PageRequest, ValidationError
from crm_tui.services import opportunities as ops
from crm_tui.services.opportunities import OpportunityFilter

TODAY = dt.date.today()
SOON = TODAY + dt.timedelta(days=7)

_keys = {"client": 0, "contact": 0}


def _next_key(series: str) -> int:
    _keys[series] += 1
    return _keys[series]


def new_client(name: str = "Grupo Ferretero del Norte") -> Client:
    return Client.create(key=_next_key("client"), name=name, name_folded=fold(name))


def new_contact(client: Client, name: str = "Lucía Hernández", active: bool = True) -> Contact:
    return Contact.create(key=_next_key("contact"), client=client, name=name, name_folded=fold(name),
                          active=active)


def new_type(name: str = "Cámaras de seguridad", active: bool = True) -> OpportunityType:
    return OpportunityType.create(name=name, name_folded=fold(name), active=active)


@pytest.fixture
def world(db, agent):
    client = new_client()
    return {
        "client": client,
        "contact": new_contact(client),
        "type": new_type(),
    }


def add(actor, world, subject="Cotización de 8 cámaras", **extra):
    return ops.add_opportunity(actor, ops.OpportunityInput(
        contact_id=world["contact"].id, type_id=world["type"].id, subject=subject, **extra))


# --- adding -------------------------------------------------------------------------


def test_add_gives_consecutive_numbers_status_new_and_a_first_event(world, agent):
    first = add(agent, world, observations="Quiere precio con instalación\n", found_us_by=" Google ")
    second = add(agent, world, subject="Mantenimiento anual")

    assert (first.number, second.number) == (1, 2)
    assert first.status == "new"
    assert first.agent_id == agent.id and first.agent_name == "Técnico de Campo"
    assert first.contact_name == "Lucía Hernández"
    assert first.client_id == world["client"].id and first.client_name == "Grupo Ferretero del Norte"
    assert first.type_name == "Cámaras de seguridad"
    assert first.observations == "Quiere precio con instalación"
    assert first.found_us_by == "Google"
    assert first.version == 1 and first.created_by == "tecnico"
    events = ops.history(first.id)
    assert [(e.from_status, e.to_status, e.user_name) for e in events] == [("", "new", "Técnico de Campo")]


def test_add_for_another_agent(world, agent, admin):
    record = add(admin, world, agent_id=agent.id)
    assert record.agent_id == agent.id
    assert ops.history(record.id)[0].user_id == admin.id


@pytest.mark.parametrize("changes, field, words", [
    ({"subject": "   "}, "subject", "Subject is required."),
    ({"subject": "x" * 301}, "subject", "Subject can have at most 300 characters"),
    ({"found_us_by": "y" * 201}, "found_us_by", "How they found us can have at most 200"),
])
def test_add_refuses_bad_fields_naming_them(world, agent, changes, field, words):
    arguments = {"contact_id": world["contact"].id, "type_id": world["type"].id, "subject": "Cámaras"}
    arguments.update(changes)
    with pytest.raises(ValidationError) as error:
        ops.add_opportunity(agent, ops.OpportunityInput(**arguments))
    assert error.value.field == field
    assert words in str(error.value)
    assert Opportunity.select().count() == 0


def test_add_refuses_inactive_or_missing_references(world, agent):
    sleeping = new_contact(world["client"], "Contacto Dormido", active=False)
    with pytest.raises(ValidationError) as error:
        ops.add_opportunity(agent, ops.OpportunityInput(contact_id=sleeping.id, type_id=world["type"].id, subject="S"))
    assert error.value.field == "contact_id" and "Contacto Dormido is inactive" in str(error.value)
    with pytest.raises(ValidationError) as error:
        ops.add_opportunity(agent, ops.OpportunityInput(contact_id=world["contact"].id, type_id=99999, subject="S"))
    assert error.value.field == "type_id" and str(error.value).startswith("Opportunity type")
    assert Opportunity.select().count() == 0


# --- changing status ----------------------------------------------------------------


def test_waiting_needs_a_comment_and_a_next_contact_date_not_in_the_past(world, agent):
    record = add(agent, world)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "waiting", next_contact_date=SOON)
    assert error.value.field == "comment"
    assert str(error.value) == "Comment is required to set the opportunity as Waiting."
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "waiting", comment="Llamar")
    assert error.value.field == "next_contact_date" and "Next contact date is required" in str(error.value)
    yesterday = TODAY - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "waiting", comment="Llamar",
                          next_contact_date=yesterday)
    assert error.value.field == "next_contact_date" and "cannot be in the past" in str(error.value)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "waiting", comment="Llamar",
                          next_contact_date="31/02/2030")
    assert error.value.field == "next_contact_date" and "not a valid date" in str(error.value)

    waiting = ops.change_status(agent, record.id, record.version, "waiting",
                                comment="Pidió llamar la próxima semana", next_contact_date=SOON.isoformat())
    assert waiting.status == "waiting" and waiting.next_contact_date == SOON
    assert waiting.version == record.version + 1
    today_is_fine = ops.change_status(agent, record.id, waiting.version, "waiting", comment="Otra vez",
                                      next_contact_date=TODAY)
    assert today_is_fine.next_contact_date == TODAY


def test_spanish_dates_and_messages(world, agent):
    record = add(agent, world)
    i18n.set_language("es")
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "waiting", next_contact_date=SOON)
    assert str(error.value) == "Para pasar la oportunidad a «En espera» falta el campo «Comentario»."
    with pytest.raises(ConflictError):
        ops.change_status(agent, record.id, record.version + 5, "working", comment="x")
    changed = ops.change_status(agent, record.id, record.version, "waiting", comment="Llamar",
                                next_contact_date=SOON.strftime("%d/%m/%Y"))
    assert changed.next_contact_date == SOON
    closed = ops.change_status(agent, record.id, changed.version, "closed", invoice_number="A-1")
    with pytest.raises(ConflictError) as error:
        ops.change_status(agent, record.id, closed.version, "working", comment="x")
    assert "ya está Cerrada" in str(error.value)


def test_working_needs_the_follow_up_comment(world, agent):
    record = add(agent, world)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "working", comment="  \n")
    assert error.value.field == "comment" and "Working" in str(error.value)
    working = ops.change_status(agent, record.id, record.version, "working", comment="Enviada la cotización")
    assert working.status == "working" and working.next_contact_date is None


def test_closed_needs_the_invoice_number_and_is_final(world, agent):
    record = add(agent, world)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "closed", comment="Ganada")
    assert error.value.field == "invoice_number" and str(error.value).startswith("Invoice number is required")
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "closed", invoice_number="F" * 61)
    assert error.value.field == "invoice_number"
    closed = ops.change_status(agent, record.id, record.version, "closed", invoice_number=" F-2031 ")
    assert (closed.status, closed.invoice_number) == ("closed", "F-2031")
    for target in ("working", "lost", "closed"):
        with pytest.raises(ConflictError) as error:
            ops.change_status(agent, record.id, closed.version, target, comment="otra",
                              invoice_number="F-1", why_lost="x", to_improve="y")
        assert str(error.value) == ("Opportunity 1 is already Closed; a closed or lost opportunity "
                                    "cannot change its status any more.")
    assert ops.get_opportunity(record.id).opportunity.status == "closed"
    assert len(ops.history(record.id)) == 2


def test_lost_needs_why_and_what_to_improve_and_is_final(world, agent):
    record = add(agent, world)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "lost", to_improve="Responder antes")
    assert error.value.field == "why_lost" and "Why it was lost is required" in str(error.value)
    with pytest.raises(ValidationError) as error:
        ops.change_status(agent, record.id, record.version, "lost", why_lost="Precio")
    assert error.value.field == "to_improve" and "What to improve is required" in str(error.value)
    lost = ops.change_status(agent, record.id, record.version, "lost", why_lost="Precio alto",
                             to_improve="Ofrecer financiamiento")
    assert (lost.status, lost.why_lost, lost.to_improve) == ("lost", "Precio alto", "Ofrecer financiamiento")
    with pytest.raises(ConflictError) as error:
        ops.change_status(agent, record.id, lost.version, "waiting", comment="x", next_contact_date=SOON)
    assert "already Lost" in str(error.value)


def test_unknown_or_new_status_is_refused(world, agent):
    record = add(agent, world)
    for target in ("new", "won", ""):
        with pytest.raises(ValidationError) as error:
            ops.change_status(agent, record.id, record.version, target, comment="x")
        assert error.value.field == "status"


def test_history_keeps_every_change_in_order_with_its_fields(world, agent, admin):
    record = add(agent, world)
    step = ops.change_status(agent, record.id, record.version, "waiting", comment="Llamar el lunes",
                             next_contact_date=SOON, invoice_number="ignored")
    step = ops.change_status(admin, record.id, step.version, "working", comment="Visita técnica hecha")
    step = ops.change_status(agent, record.id, step.version, "closed", comment="¡Ganada! 🎉",
                             invoice_number="FAC-778")

    detail = ops.get_opportunity(record.id)
    assert detail.opportunity.status == "closed" and detail.opportunity.invoice_number == "FAC-778"
    assert detail.opportunity.next_contact_date is None
    events = detail.events
    assert events == ops.history(record.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "new"), ("new", "waiting"), ("waiting", "working"), ("working", "closed")]
    assert [e.user_name for e in events] == ["Técnico de Campo", "Técnico de Campo", "Administradora",
                                             "Técnico de Campo"]
    assert (events[1].comment, events[1].next_contact_date, events[1].invoice_number) == (
        "Llamar el lunes", SOON, "")
    assert events[2].comment == "Visita técnica hecha" and events[2].next_contact_date is None
    assert (events[3].comment, events[3].invoice_number) == ("¡Ganada! 🎉", "FAC-778")
    stored = OpportunityEvent.select().where(OpportunityEvent.opportunity == record.id).count()
    assert stored == 4


def test_a_stale_version_is_refused_and_changes_nothing(world, agent, admin):
    record = add(agent, world)
    moved = ops.change_status(admin, record.id, record.version, "working", comment="Lo tomo yo")
    with pytest.raises(ConflictError) as error:
        ops.change_status(agent, record.id, record.version, "lost", why_lost="x", to_improve="y")
    assert "admin changed this record" in str(error.value)
    with pytest.raises(ConflictError):
        ops.modify_opportunity(agent, record.id, record.version, ops.OpportunityInput(subject="Otro asunto"))
    current = ops.get_opportunity(record.id)
    assert current.opportunity.status == "working" and current.opportunity.subject == record.subject
    assert current.opportunity.version == moved.version
    assert len(current.events) == 2


def test_missing_opportunity_is_not_found(db, agent):
    with pytest.raises(NotFound):
        ops.get_opportunity(12345)
    with pytest.raises(NotFound):
        ops.change_status(agent, 12345, 1, "working", comment="x")


# --- modifying ----------------------------------------------------------------------


def test_modify_changes_fields_and_moving_the_contact_moves_the_client(world, agent, admin):
    record = add(agent, world)
    other_client = new_client("Hospital San Ángel")
    other_contact = new_contact(other_client, "Dr. Ramírez")
    other_type = new_type("Redes")
    changed = ops.modify_opportunity(admin, record.id, record.version, ops.OpportunityInput(
        subject="  Red y cámaras ", observations="[bold]=1+1", found_us_by="Recomendación", type_id=other_type.id,
        agent_id=admin.id, contact_id=other_contact.id))
    assert changed.subject == "Red y cámaras"
    assert changed.observations == "[bold]=1+1"
    assert (changed.contact_name, changed.client_name) == ("Dr. Ramírez", "Hospital San Ángel")
    assert changed.client_id == other_client.id
    assert changed.type_name == "Redes" and changed.agent_id == admin.id
    assert changed.version == 2 and changed.updated_by == "admin"
    assert changed.number == record.number and changed.status == "new"

    with pytest.raises(ValidationError) as error:
        ops.modify_opportunity(admin, record.id, changed.version, ops.OpportunityInput(subject=""))
    assert error.value.field == "subject"
    with pytest.raises(TypeError):  # the status changes through change_status only
        ops.OpportunityInput(status="closed")


# --- lists --------------------------------------------------------------------------


def test_list_shows_new_ones_by_default_and_filters(world, agent, admin):
    other_client = new_client("Hotel Real")
    other_contact = new_contact(other_client, "Recepción")
    other_type = new_type("Alarmas")
    first = add(agent, world)
    second = ops.add_opportunity(admin, ops.OpportunityInput(
        contact_id=other_contact.id, type_id=other_type.id, subject="Alarma"))
    third = add(admin, world, subject="Tercera")
    ops.change_status(admin, third.id, third.version, "waiting", comment="x", next_contact_date=SOON)

    def numbers(**filters) -> list[int]:
        return [r.number for r in ops.list_opportunities(OpportunityFilter(**filters)).rows]

    assert numbers() == [second.number, first.number]
    assert numbers(status=None) == [3, 2, 1]
    assert numbers(status="waiting") == [3]
    assert numbers(status=None, type_id=other_type.id) == [2]
    assert numbers(status=None, agent_id=admin.id) == [3, 2]
    assert numbers(status=None, client_id=world["client"].id) == [3, 1]
    assert numbers(status=None, contact_id=other_contact.id) == [2]
    assert numbers(status=None, next_contact=DateRange(SOON, SOON)) == [3]
    assert numbers(status=None, next_contact=DateRange(SOON + dt.timedelta(days=1))) == []
    assert numbers(status=None, created=DateRange(TODAY, TODAY)) == [3, 2, 1]
    assert numbers(status=None, created=DateRange(end=TODAY - dt.timedelta(days=1))) == []
    with pytest.raises(ValidationError) as error:
        numbers(status=None, created=DateRange(TODAY, TODAY - dt.timedelta(days=1)))
    assert error.value.field == "created"
    with pytest.raises(ValidationError):
        numbers(status="won")


def test_created_filter_uses_the_stored_dates(world, agent):
    old = add(agent, world, subject="Vieja")
    Opportunity.update(created_at=dt.datetime(2024, 3, 1, 23, 59)).where(Opportunity.id == old.id).execute()
    add(agent, world, subject="Nueva")
    march = DateRange(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    rows = ops.list_opportunities(OpportunityFilter(created=march)).rows
    assert [r.subject for r in rows] == ["Vieja"]


def test_pages_follow_the_number_backwards(world, agent):
    for index in range(7):
        add(agent, world, subject=f"Oportunidad {index + 1}")
    first = ops.list_opportunities(request=PageRequest(limit=3))
    assert [r.number for r in first.rows] == [7, 6, 5]
    assert not first.has_before and first.has_after
    second = ops.list_opportunities(request=PageRequest(after=first.last_cursor, limit=3))
    assert [r.number for r in second.rows] == [4, 3, 2]
    last = ops.list_opportunities(request=PageRequest(last=True, limit=3))
    assert [r.number for r in last.rows] == [3, 2, 1]
    back = ops.list_opportunities(request=PageRequest(before=second.first_cursor, limit=3))
    assert [r.number for r in back.rows] == [7, 6, 5]


# --- export -------------------------------------------------------------------------


def test_export_rows_match_the_columns(world, agent):
    first = add(agent, world, observations="=HYPERLINK(\"x\")")
    ops.change_status(agent, first.id, first.version, "waiting", comment="x", next_contact_date=SOON)
    add(agent, world, subject="Segunda")
    keys = [column.key for column in ops.OPPORTUNITY_COLUMNS]

    rows = [dict(zip(keys, row)) for row in ops.iter_opportunity_rows(OpportunityFilter(status=None))]
    assert [row["number"] for row in rows] == [2, 1]
    assert all(len(row) == len(keys) for row in rows)
    assert rows[1]["status"] == "Waiting"
    assert rows[1]["next_contact_date"] == SOON
    assert isinstance(rows[1]["created_at"], dt.datetime)
    assert (rows[1]["client"], rows[1]["contact"], rows[1]["agent"]) == (
        "Grupo Ferretero del Norte", "Lucía Hernández", "Técnico de Campo")
    assert rows[1]["observations"] == "=HYPERLINK(\"x\")"
    assert [row[0] for row in ops.iter_opportunity_rows()] == [2]


def test_export_streams_more_rows_than_one_chunk(world, agent):
    client, contact, kind = world["client"], world["contact"], world["type"]
    Opportunity.insert_many(
        [{"number": n, "contact": contact.id, "client": client.id, "type": kind.id, "agent": agent.id,
          "subject": f"S{n}"} for n in range(1, 2502)]).execute()
    numbers = [row[0] for row in ops.iter_opportunity_rows()]
    assert numbers == list(range(2501, 0, -1))


def test_agent_shown_by_username_when_without_full_name(world):
    user = User.create(username="sinnombre", full_name="")
    nameless = Actor(id=user.id, username=user.username, full_name="", role="agent")
    record = add(nameless, world)
    assert record.agent_name == "sinnombre"
    assert next(ops.iter_opportunity_rows())[6] == "sinnombre"


def test_export_to_a_workbook(world, agent, tmp_path):
    from openpyxl import load_workbook

    from crm_tui.export.xlsx import write_xlsx

    record = add(agent, world, subject="=1+1 cámaras 📷")
    ops.change_status(agent, record.id, record.version, "waiting", comment="x", next_contact_date=SOON)
    target = tmp_path / "oportunidades.xlsx"
    i18n.set_language("es")
    written = write_xlsx(target, ops.OPPORTUNITY_COLUMNS, ops.iter_opportunity_rows(OpportunityFilter(status=None)),
                         sheet_title="Oportunidades")
    sheet = load_workbook(target).active
    assert written == 1
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Número", "Estado", "Creada"]
    row = dict(zip([c.key for c in ops.OPPORTUNITY_COLUMNS], sheet[2]))
    assert row["number"].value == 1
    assert row["status"].value == "En espera"
    assert (row["subject"].value, row["subject"].data_type) == ("=1+1 cámaras 📷", "s")
    assert row["next_contact_date"].is_date and row["next_contact_date"].value.date() == SOON
