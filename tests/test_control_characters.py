"""Control characters never get into the database: every service's text goes through
clean_line / clean_text, which remove what a terminal would obey (C0 but tab and line
feed in free text, DEL, C1) and keep everything else as typed."""
from __future__ import annotations

import re

import peewee as pw
import pytest

from crm_tui.db import counters
from crm_tui.db.models import ALL_MODELS, Category, Client, Contact, OpportunityType, now
from crm_tui.services import activities, catalogs, importing, opportunities, orders, users
from crm_tui.services.base import clean_line, clean_text, writing
from crm_tui.services.orders import OrderInput

# An OSC 52 (sets the clipboard), BEL, NUL, the 8-bit CSI, DEL, tab, CR LF and VT.
NASTY = "Zed\x1b]52;c;QQ==\x07 \x00nul \x9b2J del\x7f tab\there\r\nnext\x0bline"
AS_LINE = "Zed]52;c;QQ== nul 2J del tab here next line"
AS_TEXT = "Zed]52;c;QQ== nul 2J del tab\there\nnext\nline"
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def stored_control_characters() -> list[tuple[str, str, str]]:
    """(table, column, value) for every text in the database that holds a control
    character other than tab and line feed."""
    found = []
    for model in ALL_MODELS:
        columns = [f for f in model._meta.sorted_fields if isinstance(f, (pw.CharField, pw.TextField))]
        for row in model.select(*columns).tuples():
            for column, value in zip(columns, row):
                if value and TERMINAL_CONTROLS.search(value):
                    found.append((model._meta.table_name, column.name, value))
    return found


def stamps() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "old", "updated_by": "old"}


# --- the two functions ------------------------------------------------------------------


def test_a_line_loses_its_controls_and_its_breaks_become_spaces():
    assert clean_line(NASTY) == AS_LINE
    assert clean_line("  \x1b[2J  ") == "[2J"
    assert clean_line("a\u2028b\x85c") == "a b c"
    assert clean_line(None) == "" and clean_line(12) == "12"
    assert clean_line("Café ☕ [bold] =1+1 ñ") == "Café ☕ [bold] =1+1 ñ"


def test_free_text_keeps_tabs_and_lines_and_loses_the_other_controls():
    assert clean_text(NASTY) == AS_TEXT
    assert clean_text("one\rtwo\r\nthree\n\n") == "one\ntwo\nthree"
    assert clean_text("\x00") == ""
    assert clean_text("  indented\n\tcode") == "  indented\n\tcode"


# --- every service area -------------------------------------------------------------------


def test_categories_and_opportunity_types(db, admin):
    category = catalogs.add_category(admin, name=NASTY)
    kind = catalogs.add_opportunity_type(admin, name=NASTY)
    assert category.name == kind.name == AS_LINE
    assert Category.get_by_id(category.id).name_folded == AS_LINE.casefold()
    renamed = catalogs.modify_category(admin, category.id, category.version, name="Otra\x1b[31m")
    assert renamed.name == "Otra[31m"
    assert catalogs.modify_opportunity_type(admin, kind.id, kind.version, name="\x07Tipo").name == "Tipo"
    assert stored_control_characters() == []


def test_clients_and_contacts_every_text_field(db, agent):
    text = {"phone": "55\x1b[5m 12", "address": NASTY, "notes": NASTY}
    client = catalogs.add_client(agent, name=NASTY, tax_id=NASTY[:20], email="ventas\x1b@lopez.mx", **text)
    assert (client.name, client.tax_id, client.phone, client.email, client.address, client.notes) == (
        AS_LINE, clean_line(NASTY[:20]), "55[5m 12", "ventas@lopez.mx", AS_TEXT, AS_TEXT)
    contact = catalogs.add_contact(agent, client_id=client.id, name=NASTY, job_title=NASTY, mobile="\x9b1",
                                   email="ana@x.mx\x00", **text)
    assert (contact.name, contact.job_title, contact.mobile, contact.email, contact.notes) == (
        AS_LINE, AS_LINE, "1", "ana@x.mx", AS_TEXT)
    contact = catalogs.modify_contact(agent, contact.id, contact.version, notes="\x1b]0;title\x07ok")
    assert contact.notes == "]0;titleok"
    assert stored_control_characters() == []


def test_projects(db, agent):
    client = catalogs.add_client(agent, name="Acme")
    project = catalogs.add_project(agent, client_id=client.id, name=NASTY, description=NASTY)
    assert (project.name, project.description) == (AS_LINE, AS_TEXT)
    project = catalogs.modify_project(agent, project.id, project.version, description="x\x1b[2Jy")
    assert project.description == "x[2Jy"
    assert stored_control_characters() == []


def test_users(db, admin):
    added = users.add_user(admin, "nuevo", full_name=NASTY)
    assert added.full_name == AS_LINE
    assert users.modify_user(admin, added.id, added.version, full_name="Ana\x1b[8m Ruiz").full_name == "Ana[8m Ruiz"
    assert stored_control_characters() == []


@pytest.fixture
def contact(db, agent):
    client = catalogs.add_client(agent, name="Farmacias del Centro")
    return catalogs.add_contact(agent, client_id=client.id, name="Rosa Méndez")


@pytest.fixture
def category(db, agent):
    return catalogs.add_category(agent, name="Llamada")


def test_activities_and_their_tasks(db, agent, contact, category):
    activity = activities.add_activity(
        agent, when="2026-03-02 09:30", contact_id=contact.id, category_id=category.id, detail=NASTY,
        followup_notes=NASTY,
        create_task=activities.TaskInput(due_date="2026-03-05", assignee_id=agent.id, detail=NASTY))
    assert (activity.detail, activity.followup_notes) == (AS_TEXT, AS_TEXT)
    task = activities.follow_ups(activity.id)[0]
    assert task.detail == AS_TEXT
    changed = activities.modify_activity(agent, activity.id, activity.version, detail="\x1b[2Jnew")
    assert changed.detail == "[2Jnew"
    done = activities.mark_done(agent, task.id, task.version, followup_notes="\x07done")
    assert done.followup_notes == "done"
    assert stored_control_characters() == []


def test_orders_entries_and_reviews(db, agent, admin, contact, category):
    order = orders.add_order(agent, OrderInput(contact_id=contact.id, category_id=category.id, detail=NASTY,
                                               equipment=NASTY))
    assert (order.detail, order.equipment) == (AS_TEXT, AS_TEXT)
    entry = orders.register_service(agent, order.id, order.version, when="2026-03-02 10:00", work_done=NASTY,
                                    service_finished=True)
    assert entry.work_done == AS_TEXT
    current = orders.get_order(order.id).order
    closed = orders.verify_order(admin, order.id, current.version, closed=True, rating=5,
                                 customer_comments=NASTY)
    assert closed.customer_comments == AS_TEXT
    reopened = orders.reopen_order(admin, order.id, closed.version, customer_comments="\x1b]52;c;QQ==\x07x")
    assert reopened.customer_comments == "]52;c;QQ==x"
    assert [review.customer_comments for review in orders.get_order(order.id).reviews] == [AS_TEXT, "]52;c;QQ==x"]
    assert stored_control_characters() == []


def test_opportunities_and_their_history(db, admin, contact):
    kind = catalogs.add_opportunity_type(admin, name="Venta")
    opportunity = opportunities.add_opportunity(admin, contact_id=contact.id, type_id=kind.id, subject=NASTY,
                                                observations=NASTY, found_us_by=NASTY)
    assert (opportunity.subject, opportunity.observations, opportunity.found_us_by) == (AS_LINE, AS_TEXT, AS_LINE)
    opportunity = opportunities.modify_opportunity(admin, opportunity.id, opportunity.version,
                                                   subject="\x1b[2JOtra", observations="\x00x")
    assert (opportunity.subject, opportunity.observations) == ("[2JOtra", "x")
    working = opportunities.change_status(admin, opportunity.id, opportunity.version, "working", comment=NASTY)
    lost = opportunities.change_status(admin, working.id, working.version, "lost", comment="\x07",
                                       why_lost=NASTY, to_improve=NASTY)
    assert (lost.why_lost, lost.to_improve) == (AS_TEXT, AS_TEXT)
    events = opportunities.history(opportunity.id)
    assert [event.comment for event in events] == ["", AS_TEXT, ""]
    assert stored_control_characters() == []


def test_an_invoice_number_is_one_clean_line(db, admin, contact):
    kind = catalogs.add_opportunity_type(admin, name="Venta")
    opportunity = opportunities.add_opportunity(admin, contact_id=contact.id, type_id=kind.id, subject="S")
    closed = opportunities.change_status(admin, opportunity.id, opportunity.version, "closed",
                                         invoice_number="F-\x1b[2J12\t3")
    assert closed.invoice_number == "F-[2J12 3"
    assert stored_control_characters() == []


def test_imported_rows_with_nul_and_escapes_are_imported_clean(db, agent, tmp_path):
    contacts_csv = tmp_path / "contacts.csv"
    contacts_csv.write_text("Name,Client name,Notes,Phone\n"
                            "Ana\x00 Ruiz,Ac\x00me\x07,\"uno\x1b]52;c;QQ==\x07\r\ndos\",55\x9b1\n"
                            "Luis,Acme,,\n", encoding="utf-8")
    report = importing.import_file(agent, "contacts", contacts_csv)
    assert (report.imported, report.rejected) == (2, [])
    ana = catalogs.find_contact_by_key(1)
    assert (ana.name, ana.client_name, ana.notes, ana.phone) == ("Ana Ruiz", "Acme", "uno]52;c;QQ==\ndos", "551")
    assert catalogs.find_contact_by_key(2).client_id == ana.client_id  # the same client, found by its clean name

    clients_csv = tmp_path / "clients.csv"
    clients_csv.write_text("Key,Name,Address\n7,Nueva\x00 SA\x7f,\"calle\x0b1\"\n", encoding="utf-8")
    assert importing.import_file(agent, "clients", clients_csv).imported == 1
    assert (catalogs.find_client_by_key(7).name, catalogs.find_client_by_key(7).address) == ("Nueva SA", "calle\n1")
    assert stored_control_characters() == []


def test_a_record_stored_with_controls_by_another_program_is_cleaned_when_saved(db, agent, admin):
    with writing():
        client = Client.create(key=counters.take_next(counters.CLIENT_KEY), name="Old\x1b[2J", name_folded="old",
                               notes="a\x07b", **stamps())
        contact = Contact.create(key=counters.take_next(counters.CONTACT_KEY), client=client, name="Zed\x1b]52;c;QQ==\x07",
                                 name_folded="zed", **stamps())
        kind = OpportunityType.create(name="T\x1b[5m", name_folded="t", **stamps())
    read = catalogs.get_contact(contact.id)  # reading it works as ever
    assert read.name == "Zed\x1b]52;c;QQ==\x07"
    catalogs.modify_contact(agent, contact.id, read.version, phone="55")
    catalogs.modify_client(agent, client.id, catalogs.get_client(client.id).version, phone="55")
    catalogs.set_opportunity_type_active(admin, kind.id, 1, False)
    assert stored_control_characters() == []
    assert catalogs.get_contact(contact.id).name == "Zed]52;c;QQ=="
