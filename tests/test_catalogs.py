"""Catalogs: categories, clients, contacts, projects and opportunity types."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui import i18n
from crm_tui.db import counters
from crm_tui.db.models import (
    Activity,
    Category,
    Client,
    Contact,
    Opportunity,
    Project,
    ServiceOrder,
    now,
)
from crm_tui.services import ConflictError, NotAllowed, NotFound, PageRequest, ValidationError
from crm_tui.services import catalogs
from crm_tui.services import users

HOSTILE_NAMES = ["[bold]", "[/]", "[@click=app.quit]", "=1+1", "Café ☕ 🚀 Ñandú"]
LONG_NOTES = ("Línea con [red]markup[/red] y =SUM(A1)\n" * 300)[:10_000]


# --- helpers that put usage rows straight into the database -----------------------------


def _stamps() -> dict:
    moment = now()
    return {"created_at": moment, "updated_at": moment, "created_by": "test", "updated_by": "test"}


def _activity(user_id: int, contact: catalogs.ContactRecord, category_id: int, folio: int) -> None:
    Activity.create(folio=folio, when=now(), user=user_id, contact=contact.id, client=contact.client_id,
                    category=category_id, detail="x", **_stamps())


def _order(contact: catalogs.ContactRecord, category_id: int, number: int, project_id: int | None = None) -> None:
    ServiceOrder.create(number=number, contact=contact.id, client=contact.client_id, category=category_id,
                        project=project_id, **_stamps())


def _opportunity(contact: catalogs.ContactRecord, type_id: int, agent_id: int, number: int) -> None:
    Opportunity.create(number=number, contact=contact.id, client=contact.client_id, type=type_id,
                       agent=agent_id, subject="Venta", **_stamps())


@pytest.fixture
def client(db, agent):
    return catalogs.add_client(agent, catalogs.ClientInput(
        name="Ferretería López", tax_id="FLO010101AB1", email="ventas@lopez.mx"))


@pytest.fixture
def contact(client, agent):
    return catalogs.add_contact(agent, catalogs.ContactInput(
        client_id=client.id, name="Juan Pérez", job_title="Compras"))


def _walk_forward(list_function, **filters) -> list:
    page = list_function(PageRequest(limit=50), **filters)
    rows = list(page.rows)
    assert not page.has_before
    while page.has_after:
        page = list_function(PageRequest(after=page.last_cursor, limit=50), **filters)
        assert page.has_before
        rows += page.rows
    return rows


def _walk_backward(list_function, **filters) -> list:
    page = list_function(PageRequest(last=True, limit=50), **filters)
    rows = list(page.rows)
    assert not page.has_after
    while page.has_before:
        page = list_function(PageRequest(before=page.first_cursor, limit=50), **filters)
        assert page.has_after
        rows = page.rows + rows
    return rows


# --- categories ---------------------------------------------------------------------


def test_add_modify_delete_category(db, agent):
    added = catalogs.add_category(agent, catalogs.CategoryInput(name="  Instalación  "))
    assert (added.name, added.active, added.version, added.created_by) == ("Instalación", True, 1, "tecnico")
    assert Category.get_by_id(added.id).name_folded == "instalacion"
    changed = catalogs.modify_category(agent, added.id, 1, catalogs.CategoryInput(name="Instalación de cámaras"))
    assert (changed.name, changed.version) == ("Instalación de cámaras", 2)
    assert Category.get_by_id(added.id).name_folded == "instalacion de camaras"
    catalogs.delete_category(agent, added.id, 2)
    assert Category.select().count() == 0
    with pytest.raises(NotFound):
        catalogs.get_category(added.id)


def test_category_names_differing_in_accents_or_case_are_refused(db, agent):
    catalogs.add_category(agent, catalogs.CategoryInput(name="Instalación"))
    for clash in ("instalacion", "INSTALACIÓN", " Instalacion "):
        with pytest.raises(ValidationError) as duplicate:
            catalogs.add_category(agent, catalogs.CategoryInput(name=clash))
        assert duplicate.value.field == "name"
        assert str(duplicate.value) == ("The category Instalación already exists "
                                        "(names are compared without accents or capitals).")
    other = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    with pytest.raises(ValidationError):
        catalogs.modify_category(agent, other.id, other.version, catalogs.CategoryInput(name="instalacion"))
    assert catalogs.modify_category(agent, other.id, other.version, catalogs.CategoryInput(
        name="SOPORTE")).name == "SOPORTE"
    assert Category.select().count() == 2


def test_category_stale_version_is_refused_and_the_first_save_kept(db, agent, admin):
    added = catalogs.add_category(agent, catalogs.CategoryInput(name="Garantía"))
    catalogs.modify_category(agent, added.id, added.version, catalogs.CategoryInput(name="Garantías"))
    with pytest.raises(ConflictError) as conflict:
        catalogs.modify_category(admin, added.id, added.version, catalogs.CategoryInput(name="Otra cosa"))
    assert "tecnico changed this record" in str(conflict.value)
    assert catalogs.get_category(added.id).name == "Garantías"
    with pytest.raises(ConflictError):
        catalogs.delete_category(agent, added.id, added.version)
    assert catalogs.get_category(added.id).version == 2


def test_category_in_use_is_not_deleted_but_can_be_deactivated(db, agent, contact):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Mantenimiento"))
    _activity(agent.id, contact, category.id, 1)
    _order(contact, category.id, 1)
    _order(contact, category.id, 2)
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_category(agent, category.id, category.version)
    assert str(refused.value) == ("The category Mantenimiento cannot be deleted: it is used by 1 activity "
                                  "and 2 service orders. Deactivate it instead.")
    inactive = catalogs.set_category_active(agent, category.id, category.version, False)
    assert inactive.active is False
    assert [c.name for c in catalogs.list_categories(active_only=True).rows] == []
    assert catalogs.lookup_categories("mant") == []
    assert [c.name for c in catalogs.lookup_categories("mant", active_only=False)] == ["Mantenimiento"]


def test_category_name_is_required_and_length_checked(db, agent):
    with pytest.raises(ValidationError) as missing:
        catalogs.add_category(agent, catalogs.CategoryInput(name="   "))
    assert (missing.value.field, str(missing.value)) == ("name", "Name is required.")
    with pytest.raises(ValidationError) as too_long:
        catalogs.add_category(agent, catalogs.CategoryInput(name="x" * 121))
    assert str(too_long.value) == "Name can have at most 120 characters (121 typed)."


def test_categories_list_by_folded_name_and_lookup_without_accents(db, agent):
    for name in ("Zona", "área técnica", "Ábaco", "Cámaras"):
        catalogs.add_category(agent, catalogs.CategoryInput(name=name))
    assert [c.name for c in catalogs.list_categories().rows] == ["Ábaco", "área técnica", "Cámaras", "Zona"]
    assert [c.name for c in catalogs.lookup_categories("CAMARA")] == ["Cámaras"]
    assert [c.name for c in catalogs.list_categories(text="tecnica").rows] == ["área técnica"]


def test_categories_page_through_120_rows(db, agent):
    names = [f"Categoría {n:03d}" for n in range(120)]
    for name in reversed(names):
        catalogs.add_category(agent, catalogs.CategoryInput(name=name))
    assert [c.name for c in _walk_forward(catalogs.list_categories)] == names
    assert [c.name for c in _walk_backward(catalogs.list_categories)] == names


# --- opportunity types --------------------------------------------------------------


def test_only_admins_change_opportunity_types(db, admin, agent):
    with pytest.raises(NotAllowed) as refused:
        catalogs.add_opportunity_type(agent, catalogs.OpportunityTypeInput(name="Póliza"))
    assert str(refused.value) == "Only an administrator can change the opportunity types."
    kind = catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name="Póliza"))
    with pytest.raises(NotAllowed):
        catalogs.modify_opportunity_type(agent, kind.id, kind.version, catalogs.OpportunityTypeInput(name="Pólizas"))
    with pytest.raises(NotAllowed):
        catalogs.set_opportunity_type_active(agent, kind.id, kind.version, False)
    with pytest.raises(NotAllowed):
        catalogs.delete_opportunity_type(agent, kind.id, kind.version)
    assert catalogs.get_opportunity_type(kind.id) == kind


def test_opportunity_type_lifecycle(db, admin, agent, contact):
    kind = catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name="Venta de equipo"))
    with pytest.raises(ValidationError) as duplicate:
        catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name="VENTA DE EQUIPO"))
    assert "Venta de equipo already exists" in str(duplicate.value)
    renamed = catalogs.modify_opportunity_type(admin, kind.id, kind.version, catalogs.OpportunityTypeInput(
        name="Venta de equipos"))
    with pytest.raises(ConflictError):
        catalogs.modify_opportunity_type(admin, kind.id, kind.version, catalogs.OpportunityTypeInput(name="Otra"))
    assert catalogs.get_opportunity_type(kind.id).name == "Venta de equipos"
    _opportunity(contact, kind.id, agent.id, 1)
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_opportunity_type(admin, kind.id, renamed.version)
    assert str(refused.value) == ("The opportunity type Venta de equipos cannot be deleted: it is used by "
                                  "1 opportunity. Deactivate it instead.")
    off = catalogs.set_opportunity_type_active(admin, kind.id, renamed.version, False)
    assert not off.active
    assert catalogs.lookup_opportunity_types("venta") == []
    spare = catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name="Renta"))
    catalogs.delete_opportunity_type(admin, spare.id, spare.version)
    assert [t.name for t in catalogs.list_opportunity_types().rows] == ["Venta de equipos"]


# --- clients ------------------------------------------------------------------------


def test_client_keys_are_consecutive_and_proposed_before_saving(db, agent):
    assert catalogs.next_client_key() == 1
    first = catalogs.add_client(agent, catalogs.ClientInput(name="Uno"))
    assert catalogs.next_client_key() == 2
    second = catalogs.add_client(agent, catalogs.ClientInput(name="Dos"))
    assert (first.key, second.key) == (1, 2)
    catalogs.delete_client(agent, second.id, second.version)
    assert catalogs.add_client(agent, catalogs.ClientInput(name="Tres")).key == 3


def test_client_fields_are_stored_and_modified(db, agent, client):
    assert (client.name, client.tax_id, client.email, client.active) == (
        "Ferretería López", "FLO010101AB1", "ventas@lopez.mx", True)
    changed = catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(
        phone=" 55 1234 5678 ", address="Av. Juárez 10\nCentro", notes=LONG_NOTES))
    assert (changed.phone, changed.address, changed.notes, changed.tax_id) == (
        "55 1234 5678", "Av. Juárez 10\nCentro", LONG_NOTES, "FLO010101AB1")
    assert Client.get_by_id(client.id).name_folded == "ferreteria lopez"
    renamed = catalogs.modify_client(agent, client.id, changed.version, catalogs.ClientInput(name="Ferretería Pérez"))
    assert Client.get_by_id(client.id).name_folded == "ferreteria perez"
    assert renamed.version == 3


def test_client_stale_version_is_refused(db, agent, admin, client):
    catalogs.modify_client(agent, client.id, client.version, catalogs.ClientInput(name="Primera versión"))
    with pytest.raises(ConflictError):
        catalogs.modify_client(admin, client.id, client.version, catalogs.ClientInput(name="Segunda versión"))
    assert catalogs.get_client(client.id).name == "Primera versión"


@pytest.mark.parametrize("field, value, message", [
    ("email", "no-es-correo", "E-mail is not a valid e-mail address."),
    ("name", "", "Name is required."),
    ("name", "n" * 201, "Name can have at most 200 characters (201 typed)."),
    ("tax_id", "R" * 21, "Tax ID can have at most 20 characters (21 typed)."),
    ("phone", "5" * 41, "Phone can have at most 40 characters (41 typed)."),
])
def test_client_validation_names_the_field(db, agent, field, value, message):
    fields = {"name": "Cliente", field: value}
    with pytest.raises(ValidationError) as invalid:
        catalogs.add_client(agent, catalogs.ClientInput(**fields))
    assert (invalid.value.field, str(invalid.value)) == (field, message)
    assert Client.select().count() == 0


def test_validation_message_in_spanish(db, agent):
    i18n.set_language("es")
    with pytest.raises(ValidationError) as invalid:
        catalogs.add_client(agent, catalogs.ClientInput(name="C" * 201))
    assert str(invalid.value) == "Nombre admite como máximo 200 caracteres (se escribieron 201)."
    with pytest.raises(ValidationError) as missing:
        catalogs.add_contact(agent, catalogs.ContactInput(name="Sin cliente"))
    assert str(missing.value) == "Cliente es obligatorio."


def test_client_in_use_is_not_deleted(db, agent, client, contact):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    for folio in range(1, 13):
        _activity(agent.id, contact, category.id, folio)
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_client(agent, client.id, client.version)
    assert str(refused.value) == ("The client Ferretería López cannot be deleted: it has 1 contact and "
                                  "12 activities. Deactivate it instead.")
    off = catalogs.set_client_active(agent, client.id, client.version, False)
    assert off.active is False and off.version == 2
    assert catalogs.lookup_clients("lopez") == []
    assert catalogs.get_client(client.id).name == "Ferretería López"


def test_client_lookup_by_key_and_accentless_fragment(db, agent):
    for name in ("Óptica Guzmán", "Panadería La Espiga", "Guzmán y Asociados"):
        catalogs.add_client(agent, catalogs.ClientInput(name=name))
    assert [c.name for c in catalogs.lookup_clients("2")] == ["Panadería La Espiga"]
    assert [c.name for c in catalogs.lookup_clients("GUZMAN")] == ["Óptica Guzmán", "Guzmán y Asociados"]
    assert [c.name for c in catalogs.lookup_clients("guz", limit=1)] == ["Óptica Guzmán"]
    assert catalogs.lookup_clients("%") == []
    assert catalogs.lookup_clients("_") == []


def test_client_text_filter_takes_a_key_or_a_name(db, agent):
    for n in range(1, 13):
        catalogs.add_client(agent, catalogs.ClientInput(name=f"Cliente número {n}"))
    assert [c.key for c in catalogs.list_clients(text="12").rows] == [12]
    assert [c.key for c in catalogs.list_clients(text="1").rows] == [1, 10, 11, 12]
    assert [c.key for c in catalogs.list_clients(text="NUMERO 1").rows] == [1, 10, 11, 12]
    assert [c.key for c in catalogs.list_clients(text="99999999999999999999").rows] == []


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_text_is_stored_and_read_back_exactly(db, agent, hostile):
    added = catalogs.add_client(agent, catalogs.ClientInput(name=hostile, notes=hostile + "\n" + LONG_NOTES))
    read = catalogs.get_client(added.id)
    assert (read.name, read.notes) == (hostile, hostile + "\n" + LONG_NOTES)
    person = catalogs.add_contact(agent, catalogs.ContactInput(
        client_id=added.id, name=hostile, job_title=hostile, notes=LONG_NOTES))
    read_person = catalogs.get_contact(person.id)
    assert (read_person.name, read_person.job_title, read_person.notes, read_person.client_name) == (
        hostile, hostile, LONG_NOTES, hostile)
    assert list(catalogs.iter_contact_rows())[0][:4] == (person.key, hostile, added.key, hostile)


def test_clients_page_through_120_rows(db, agent):
    for n in range(120):
        catalogs.add_client(agent, catalogs.ClientInput(name=f"Cliente {n}"))
    keys = list(range(1, 121))
    assert [c.key for c in _walk_forward(catalogs.list_clients)] == keys
    assert [c.key for c in _walk_backward(catalogs.list_clients)] == keys
    last = catalogs.list_clients(PageRequest(last=True, limit=50))
    assert [c.key for c in last.rows] == keys[-50:]
    before = catalogs.list_clients(PageRequest(before=last.first_cursor, limit=50))
    assert [c.key for c in before.rows] == keys[20:70]


def test_page_around_a_record_holds_it_with_the_rows_before_and_counts_them(db, agent):
    added = [catalogs.add_client(agent, catalogs.ClientInput(name=f"Cliente {n}")) for n in range(120)]

    def around(record, limit=20, text=""):
        return catalogs.list_clients(PageRequest(around=record.id, limit=limit), text)

    middle = around(added[59])
    assert [c.key for c in middle.rows] == list(range(50, 70))
    assert (middle.offset, middle.has_before, middle.has_after) == (49, True, True)
    # Near the end the page fills up with earlier rows; it is then numbered from the end.
    end = around(added[-1])
    assert [c.key for c in end.rows] == list(range(101, 121))
    assert (end.offset, end.has_before, end.has_after) == (None, True, False)
    start = around(added[2])
    assert [c.key for c in start.rows] == list(range(1, 21))
    assert (start.offset, start.has_before, start.has_after) == (0, False, True)
    # Paging on from the page around a record continues without a gap.
    after = catalogs.list_clients(PageRequest(after=middle.last_cursor, limit=5))
    assert [c.key for c in after.rows] == [70, 71, 72, 73, 74]
    # A record the list does not hold (filtered out by the search) gives the first page.
    filtered = around(added[59], text="Cliente 11")
    assert [c.name for c in filtered.rows][:2] == ["Cliente 11", "Cliente 110"]
    assert filtered.offset is None and not filtered.has_before


def test_page_around_a_category_follows_the_name_order(db, agent):
    for name in ("Alfa", "Charlie", "Delta"):
        catalogs.add_category(agent, catalogs.CategoryInput(name=name))
    bravo = catalogs.add_category(agent, catalogs.CategoryInput(name="Bravo"))
    page = catalogs.list_categories(PageRequest(around=bravo.id, limit=2))
    assert [c.name for c in page.rows] == ["Alfa", "Bravo"]
    assert (page.offset, page.has_before, page.has_after) == (0, False, True)


# --- contacts -----------------------------------------------------------------------


def test_contact_belongs_to_an_existing_client(db, agent, client):
    with pytest.raises(ValidationError) as missing:
        catalogs.add_contact(agent, catalogs.ContactInput(name="Sin cliente"))
    assert (missing.value.field, str(missing.value)) == ("client_id", "Client is required.")
    with pytest.raises(ValidationError) as unknown:
        catalogs.add_contact(agent, catalogs.ContactInput(client_id=999, name="Cliente fantasma"))
    assert unknown.value.field == "client_id"
    assert Contact.select().count() == 0


def test_contact_fields_and_names_of_its_client(db, agent, client, contact):
    assert (contact.key, contact.client_key, contact.client_name, contact.job_title) == (
        1, client.key, "Ferretería López", "Compras")
    assert catalogs.next_contact_key() == 2
    other_client = catalogs.add_client(agent, catalogs.ClientInput(name="Otro Cliente"))
    moved = catalogs.modify_contact(agent, contact.id, contact.version, catalogs.ContactInput(
        client_id=other_client.id, mobile="55 9999 0000", email="juan@otro.mx"))
    assert (moved.client_name, moved.mobile, moved.email, moved.name) == (
        "Otro Cliente", "55 9999 0000", "juan@otro.mx", "Juan Pérez")
    with pytest.raises(ValidationError) as bad_mail:
        catalogs.modify_contact(agent, contact.id, moved.version, catalogs.ContactInput(email="juan@"))
    assert bad_mail.value.field == "email"
    with pytest.raises(ConflictError):
        catalogs.modify_contact(agent, contact.id, contact.version, catalogs.ContactInput(name="Viejo"))
    assert catalogs.get_contact(contact.id).name == "Juan Pérez"


def test_contact_in_use_is_not_deleted(db, agent, client, contact):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    for folio in range(1, 13):
        _activity(agent.id, contact, category.id, folio)
    for number in range(1, 4):
        _order(contact, category.id, number)
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_contact(agent, contact.id, contact.version)
    assert str(refused.value) == ("The contact Juan Pérez cannot be deleted: it has 12 activities and "
                                  "3 service orders. Deactivate it instead.")
    assert catalogs.get_contact(contact.id).active
    off = catalogs.set_contact_active(agent, contact.id, contact.version, False)
    assert not off.active
    spare = catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Temporal"))
    catalogs.delete_contact(agent, spare.id, spare.version)
    assert Contact.select().count() == 1


def test_contact_in_use_message_in_spanish(db, agent, contact):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    _activity(agent.id, contact, category.id, 1)
    _order(contact, category.id, 1)
    _order(contact, category.id, 2)
    i18n.set_language("es")
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_contact(agent, contact.id, contact.version)
    assert str(refused.value) == ("El contacto Juan Pérez no se puede eliminar: tiene 1 actividad y "
                                  "2 órdenes de servicio. Desactívelo en su lugar.")


def test_contacts_filter_by_client_and_lookup(db, agent, client, contact):
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Otra Empresa"))
    catalogs.add_contact(agent, catalogs.ContactInput(client_id=other.id, name="Juana Pérez"))
    catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Pedro Núñez", active=False))
    assert [c.name for c in catalogs.list_contacts(client_id=client.id).rows] == ["Juan Pérez", "Pedro Núñez"]
    assert [c.name for c in catalogs.list_contacts(active_only=True).rows] == ["Juan Pérez", "Juana Pérez"]
    assert [c.name for c in catalogs.list_contacts(text="PEREZ").rows] == ["Juan Pérez", "Juana Pérez"]
    assert [c.name for c in catalogs.lookup_contacts("perez", client_id=other.id)] == ["Juana Pérez"]
    assert [c.name for c in catalogs.lookup_contacts("nunez")] == []
    assert [c.name for c in catalogs.lookup_contacts("nunez", active_only=False)] == ["Pedro Núñez"]
    assert [c.name for c in catalogs.lookup_contacts("2")] == ["Juana Pérez"]


def test_contacts_page_through_120_rows_of_one_client(db, agent, client):
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Otra"))
    expected = []
    for n in range(120):
        record = catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name=f"Persona {n}"))
        expected.append(record.key)
        catalogs.add_contact(agent, catalogs.ContactInput(client_id=other.id, name=f"Ajena {n}"))
    assert [c.key for c in _walk_forward(catalogs.list_contacts, client_id=client.id)] == expected
    assert [c.key for c in _walk_backward(catalogs.list_contacts, client_id=client.id)] == expected
    assert len(_walk_forward(catalogs.list_contacts)) == 240


# --- projects -----------------------------------------------------------------------


def test_project_with_people_in_charge(db, agent, client, contact):
    assert catalogs.next_project_key() == 1
    project = catalogs.add_project(agent, catalogs.ProjectInput(
        client_id=client.id, name="Cámaras bodega", start_date="2026-01-10", goal_date=dt.date(2026, 3, 1),
        user_in_charge_id=agent.id, contact_in_charge_id=contact.id, description=LONG_NOTES))
    assert (project.key, project.client_name, project.start_date, project.goal_date) == (
        1, "Ferretería López", dt.date(2026, 1, 10), dt.date(2026, 3, 1))
    assert (project.user_in_charge_name, project.contact_in_charge_name, project.description) == (
        "Técnico de Campo", "Juan Pérez", LONG_NOTES)
    changed = catalogs.modify_project(agent, project.id, project.version, catalogs.ProjectInput(
        user_in_charge_id=None, contact_in_charge_id=None, goal_date=""))
    assert (changed.user_in_charge_name, changed.contact_in_charge_name, changed.goal_date) == ("", "", None)
    with pytest.raises(ConflictError):
        catalogs.modify_project(agent, project.id, project.version, catalogs.ProjectInput(name="Viejo"))
    assert catalogs.get_project(project.id).name == "Cámaras bodega"


def test_project_rules(db, admin, agent, client, contact):
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Otro"))
    stranger = catalogs.add_contact(agent, catalogs.ContactInput(client_id=other.id, name="Ajeno"))
    cases = [
        ({"name": "P"}, "client_id", "Client is required."),
        ({"client_id": client.id, "name": ""}, "name", "Name is required."),
        ({"client_id": client.id, "name": "P", "start_date": "2026-02-01", "goal_date": "2026-01-31"},
         "goal_date", "Goal date cannot be before the start date."),
        ({"client_id": client.id, "name": "P", "start_date": "mañana"}, "start_date", None),
        ({"client_id": client.id, "name": "P", "contact_in_charge_id": stranger.id}, "contact_in_charge_id",
         "Contact in charge: choose a contact of the project's client."),
    ]
    for fields, field, message in cases:
        with pytest.raises(ValidationError) as invalid:
            catalogs.add_project(agent, catalogs.ProjectInput(**fields))
        assert invalid.value.field == field
        if message:
            assert str(invalid.value) == message
    users.set_user_active(admin, agent.id, 1, False)
    with pytest.raises(ValidationError) as inactive:
        catalogs.add_project(admin, catalogs.ProjectInput(client_id=client.id, name="P", user_in_charge_id=agent.id))
    assert str(inactive.value) == "User in charge: Técnico de Campo is inactive; choose another one."
    assert Project.select().count() == 0


def test_project_in_use_is_not_deleted(db, agent, client, contact):
    category = catalogs.add_category(agent, catalogs.CategoryInput(name="Soporte"))
    project = catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name="Red"))
    _order(contact, category.id, 1, project.id)
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_project(agent, project.id, project.version)
    assert str(refused.value) == "The project Red cannot be deleted: it has 1 service order."
    spare = catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name="Temporal"))
    catalogs.delete_project(agent, spare.id, spare.version)
    assert [p.name for p in catalogs.list_projects().rows] == ["Red"]


def test_contact_in_charge_of_a_project_is_not_deleted(db, agent, client, contact):
    catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name="Red", contact_in_charge_id=contact.id))
    with pytest.raises(NotAllowed) as refused:
        catalogs.delete_contact(agent, contact.id, contact.version)
    assert "1 project in its charge" in str(refused.value)


def test_projects_list_lookup_and_page(db, agent, client):
    other = catalogs.add_client(agent, catalogs.ClientInput(name="Otro"))
    for n in range(60):
        catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name=f"Proyecto Cámara {n}"))
        catalogs.add_project(agent, catalogs.ProjectInput(client_id=other.id, name=f"Obra {n}"))
    mine = _walk_forward(catalogs.list_projects, client_id=client.id)
    assert [p.name for p in mine] == [f"Proyecto Cámara {n}" for n in range(60)]
    assert [p.key for p in _walk_backward(catalogs.list_projects)] == list(range(1, 121))
    assert [p.name for p in catalogs.lookup_projects("camara 5", limit=3)] == [
        "Proyecto Cámara 5", "Proyecto Cámara 50", "Proyecto Cámara 51"]
    assert [p.name for p in catalogs.lookup_projects("4")] == ["Obra 1"]
    assert catalogs.lookup_projects("obra", client_id=client.id) == []


# --- export and import --------------------------------------------------------------


def test_export_rows_follow_the_columns(db, agent, client, contact):
    project = catalogs.add_project(agent, catalogs.ProjectInput(
        client_id=client.id, name="Red", start_date="2026-01-10", user_in_charge_id=agent.id,
        contact_in_charge_id=contact.id))
    assert [c.key for c in catalogs.CONTACT_COLUMNS] == [
        "key", "name", "client_key", "client_name", "job_title", "phone", "mobile", "email", "address",
        "notes", "active"]
    assert list(catalogs.iter_client_rows()) == [
        (1, "Ferretería López", "FLO010101AB1", "", "ventas@lopez.mx", "", "", True)]
    assert list(catalogs.iter_contact_rows(client_id=client.id)) == [
        (1, "Juan Pérez", 1, "Ferretería López", "Compras", "", "", "", "", "", True)]
    assert list(catalogs.iter_project_rows()) == [
        (project.key, "Red", 1, "Ferretería López", dt.date(2026, 1, 10), None, "Técnico de Campo",
         "Juan Pérez", "")]
    for columns, rows in ((catalogs.CLIENT_COLUMNS, catalogs.iter_client_rows()),
                          (catalogs.PROJECT_COLUMNS, catalogs.iter_project_rows())):
        assert all(len(row) == len(columns) for row in rows)


def test_export_rows_come_in_every_order_the_catalog_lists_offer(db, agent, client):
    for name in ("Bravo", "charlie", "Álvaro"):
        catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name=name))
        catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name=name))
    for rows in (catalogs.iter_contact_rows, catalogs.iter_project_rows):
        assert [row[1] for row in rows()] == ["Bravo", "charlie", "Álvaro"]
        assert [row[1] for row in rows(order=catalogs.NAME_ORDER)] == ["Álvaro", "Bravo", "charlie"]
        assert [row[1] for row in rows(order=catalogs.NAME_ORDER, descending=True)] == ["charlie", "Bravo", "Álvaro"]
        assert [row[1] for row in rows(order=catalogs.KEY_ORDER, descending=True)] == ["Álvaro", "charlie", "Bravo"]
    names = [row[1] for row in catalogs.iter_client_rows(order=catalogs.NAME_ORDER, descending=True)]
    assert names == sorted(names, key=str.casefold, reverse=True)

def test_export_streams_every_row_in_key_order(db, agent, client):
    for n in range(2100):
        Contact.create(key=n + 1, client=client.id, name=f"Persona {n}", name_folded=f"persona {n}", **_stamps())
    rows = list(catalogs.iter_contact_rows())
    assert [r[0] for r in rows] == list(range(1, 2101))
    assert len(list(catalogs.iter_contact_rows(text="persona 20"))) == 1 + 10 + 100


def test_import_round_trip_of_exported_contacts(db, agent, client, contact):
    catalogs.modify_contact(agent, contact.id, contact.version, catalogs.ContactInput(
        notes=LONG_NOTES, address="=1+1", email="juan@lopez.mx"))
    exported = [dict(zip([c.key for c in catalogs.CONTACT_COLUMNS], row)) for row in catalogs.iter_contact_rows()]
    exported[0]["job_title"] = "Gerente de compras"
    text_rows = [{k: ("" if v is None else str(v)) for k, v in row.items()} for row in exported]
    updated = catalogs.import_contact_row(agent, text_rows[0])
    assert (updated.id, updated.job_title, updated.notes, updated.address, updated.version) == (
        contact.id, "Gerente de compras", LONG_NOTES, "=1+1", 3)
    again = list(catalogs.iter_contact_rows())
    assert again[0] == (1, "Juan Pérez", 1, "Ferretería López", "Gerente de compras", "", "", "juan@lopez.mx",
                        "=1+1", LONG_NOTES, True)
    assert Contact.select().count() == 1 and Client.select().count() == 1


def test_import_adds_contacts_and_clients(db, agent, client):
    by_name = catalogs.import_contact_row(agent, {"name": "Ana", "client_name": "FERRETERIA LOPEZ"})
    assert (by_name.client_id, by_name.key) == (client.id, 1)
    new_client = catalogs.import_contact_row(agent, {"key": "50", "name": "Luis", "client_key": "40",
                                                     "client_name": "Nueva SA", "active": "No"})
    assert (new_client.key, new_client.client_key, new_client.client_name, new_client.active) == (
        50, 40, "Nueva SA", False)
    assert catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Siguiente")).key == 51
    assert catalogs.add_client(agent, catalogs.ClientInput(name="Siguiente")).key == 41
    by_key = catalogs.import_contact_row(agent, {"name": "Eva", "client_key": "40", "client_name": "otro nombre"})
    assert by_key.client_name == "Nueva SA"
    kept_client = catalogs.import_contact_row(agent, {"key": "50", "name": "Luis Ortega"})
    assert (kept_client.client_name, kept_client.name, kept_client.active) == ("Nueva SA", "Luis Ortega", False)


def test_import_rejects_bad_rows_naming_the_field(db, agent, client):
    cases = [
        ({"name": "Ana"}, "client_key"),
        ({"name": "", "client_key": "1"}, "name"),
        ({"name": "Ana", "client_key": "uno"}, "client_key"),
        ({"key": "-3", "name": "Ana", "client_key": "1"}, "key"),
        ({"name": "Ana", "client_key": "1", "email": "ana@"}, "email"),
        ({"name": "Ana", "client_key": "1", "active": "quizá"}, "active"),
        ({"name": "Ana", "client_key": "1", "phone": "1" * 41}, "phone"),
    ]
    for row, field in cases:
        with pytest.raises(ValidationError) as invalid:
            catalogs.import_contact_row(agent, row)
        assert invalid.value.field == field, row
    assert Contact.select().count() == 0
    assert Client.select().count() == 1


def test_import_client_rows(db, agent, client):
    updated = catalogs.import_client_row(agent, {"key": "1", "name": "Ferretería López SA", "phone": "555"})
    assert (updated.id, updated.name, updated.phone, updated.email) == (
        client.id, "Ferretería López SA", "555", "ventas@lopez.mx")
    added = catalogs.import_client_row(agent, {"key": "7", "name": "Siete", "active": "0"})
    assert (added.key, added.active) == (7, False)
    assert catalogs.import_client_row(agent, {"name": "Sin clave"}).key == 8
    assert counters.peek_next(counters.CLIENT_KEY) == 9
    with pytest.raises(ValidationError) as invalid:
        catalogs.import_client_row(agent, {"key": "9", "name": ""})
    assert invalid.value.field == "name"


def test_record_of_a_missing_id(db):
    for getter in (catalogs.get_client, catalogs.get_contact, catalogs.get_project, catalogs.get_category,
                   catalogs.get_opportunity_type):
        with pytest.raises(NotFound):
            getter(12345)


def test_unknown_field_names_are_a_programming_error(db, agent):
    with pytest.raises(TypeError):
        catalogs.add_client(agent, catalogs.ClientInput(name="X", colour="red"))
    assert Client.select().count() == 0


def test_active_flag_given_as_text_is_read_as_yes_or_no(db, agent, client):
    assert catalogs.add_contact(agent, catalogs.ContactInput(
        client_id=client.id, name="Uno", active="False")).active is False
    assert catalogs.add_contact(agent, catalogs.ContactInput(
        client_id=client.id, name="Dos", active="sí")).active is True
    with pytest.raises(ValidationError) as invalid:
        catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name="Tres", active="quizá"))
    assert invalid.value.field == "active"


def test_the_largest_key_of_each_catalog_is_read_from_its_index(admin):
    from crm_tui.services import orders

    assert (catalogs.largest_client_key(), catalogs.largest_contact_key(), catalogs.largest_project_key(),
            orders.largest_order_number()) == (0, 0, 0, 0)
    catalogs.import_client_row(admin, {"key": "199999", "name": "Grande"})
    client = catalogs.add_client(admin, catalogs.ClientInput(name="Siguiente"))
    catalogs.add_contact(admin, catalogs.ContactInput(client_id=client.id, name="Rosa"))
    catalogs.add_project(admin, catalogs.ProjectInput(client_id=client.id, name="Cableado"))
    assert (catalogs.largest_client_key(), catalogs.largest_contact_key(), catalogs.largest_project_key()) == (
        200000, 1, 1)


# --- list orders -------------------------------------------------------------------


def _every_page(list_page, **options) -> list:
    """Every row of a list, read a page of 2 at a time forward (keyset, as the screen reads)."""
    rows, request = [], PageRequest(limit=2)
    while True:
        page = list_page(request, **options)
        rows.extend(page.rows)
        if not page.has_after:
            return rows
        request = PageRequest(after=page.last_cursor, limit=2)


def _every_page_backwards(list_page, **options) -> list:
    rows, request = [], PageRequest(last=True, limit=2)
    while True:
        page = list_page(request, **options)
        rows[:0] = page.rows
        if not page.has_before:
            return rows
        request = PageRequest(before=page.first_cursor, limit=2)


@pytest.mark.parametrize("kind", ["clients", "contacts", "projects"])
def test_keyed_catalogs_list_by_key_or_by_name_either_way(db, agent, kind):
    client = catalogs.add_client(agent, catalogs.ClientInput(name="Cliente base"))
    names = ["Ñandú", "alfa", "Beta", "beta", "Álamo", "zeta"]
    for name in names:
        if kind == "clients":
            catalogs.add_client(agent, catalogs.ClientInput(name=name))
        elif kind == "contacts":
            catalogs.add_contact(agent, catalogs.ContactInput(client_id=client.id, name=name))
        else:
            catalogs.add_project(agent, catalogs.ProjectInput(client_id=client.id, name=name))
    list_page = {"clients": catalogs.list_clients, "contacts": catalogs.list_contacts,
                 "projects": catalogs.list_projects}[kind]
    by_key = [row.name for row in _every_page(list_page)]
    by_name = [row.name for row in _every_page(list_page, order="name")]
    by_name_back = [row.name for row in _every_page(list_page, order="name", descending=True)]
    expected = sorted(by_key, key=lambda name: (i18n_fold(name), by_key.index(name)))
    assert by_name == expected
    assert by_name_back == list(reversed(expected))
    assert [row.name for row in _every_page_backwards(list_page, order="name")] == expected
    assert [row.name for row in _every_page(list_page, order="key", descending=True)] == list(reversed(by_key))
    assert [row.name for row in _every_page(list_page, text="beta", order="name")] == ["Beta", "beta"]
    with pytest.raises(ValidationError):
        list_page(PageRequest(), order="phone")


def i18n_fold(name: str) -> str:
    from crm_tui.db.text import fold

    return fold(name)


def test_named_catalogs_and_users_list_by_name_either_way(db, admin):
    for name in ["Soporte", "Alta", "Mantenimiento"]:
        catalogs.add_category(admin, catalogs.CategoryInput(name=name))
        catalogs.add_opportunity_type(admin, catalogs.OpportunityTypeInput(name=name))
    for list_page in (catalogs.list_categories, catalogs.list_opportunity_types):
        assert [row.name for row in _every_page(list_page)] == ["Alta", "Mantenimiento", "Soporte"]
        assert [row.name for row in _every_page(list_page, descending=True)] == ["Soporte", "Mantenimiento", "Alta"]
        with pytest.raises(ValidationError):
            list_page(PageRequest(), order="key")
    users.add_user(admin, users.UserInput(username="zoe", full_name="Zoe", role="agent"))
    listed = [row.username for row in _every_page(users.list_users, descending=True)]
    assert listed == sorted(listed, reverse=True) and "zoe" in listed
