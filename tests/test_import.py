"""`crm import`: files as people have them (address books, Windows CSV, stray bytes), rows
that fail, and what the database holds after."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crm_tui.cli import main
from crm_tui.db import close_database, counters, open_database
from crm_tui.db.connection import is_postgres
from crm_tui.db.models import Client, Contact
from crm_tui.services import login, users

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("CRM_LANG", "en")
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    # The commands act as this system login, registered as the CRM's administrator below.
    monkeypatch.setattr(login, "system_login", lambda: "lupe")
    yield
    close_database()


def initialised(capsys, url: str) -> str:
    """`crm init` and the first user (the administrator) on `url`."""
    for command in (("init",), ("user", "add", "lupe")):
        code, _out, err = run(capsys, "--db", url, *command)
        assert code == 0, err
    return url


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def crm_url(db, db_url, capsys) -> str:
    """An initialised CRM database (SQLite and PostgreSQL): the migrated schema `db`
    prepares cheaply, which `crm init` finds up to date, then the first user."""
    return initialised(capsys, db_url)


@pytest.fixture
def sqlite_url(tmp_path, capsys) -> str:
    """An initialised SQLite CRM database, for what does not depend on the backend."""
    return initialised(capsys, str(tmp_path / "crm.db"))


def import_contacts(capsys, url: str, path: Path, *options: str) -> tuple[int, str, str]:
    return run(capsys, "--db", url, "import", "contacts", str(path), *options)


def contacts(url: str) -> list[dict]:
    open_database(url)
    try:
        query = Contact.select(Contact, Client).join(Client).order_by(Contact.key)
        return [{"name": c.name, "client": c.client.name, "job_title": c.job_title, "phone": c.phone,
                 "mobile": c.mobile, "email": c.email, "address": c.address, "notes": c.notes}
                for c in query]
    finally:
        close_database()


def names(url: str) -> list[str]:
    return [contact["name"] for contact in contacts(url)]


def counts(url: str) -> tuple[int, int, int, int]:
    open_database(url)
    try:
        return (Contact.select().count(), Client.select().count(),
                counters.peek_next(counters.CONTACT_KEY), counters.peek_next(counters.CLIENT_KEY))
    finally:
        close_database()


def contact(name: str, client: str, **fields: str) -> dict:
    values = {"name": name, "client": client, "job_title": "", "phone": "", "mobile": "", "email": "",
              "address": "", "notes": ""}
    values.update(fields)
    return values


# --- the file's encoding ------------------------------------------------------------


def test_a_stray_byte_rejects_its_row_and_leaves_the_others_in_utf8(sqlite_url, tmp_path, capsys):
    source = tmp_path / "contactos.csv"
    source.write_bytes("Name,Client name\n".encode() + "Café 😀 señor,Ferretería Ávila\n".encode()
                       + b"Jos\xe9 Mart\xednez,Ferreter\xeda \xc1vila\n" + "Núñez,Ferretería Ávila\n".encode())
    code, out, err = import_contacts(capsys, sqlite_url, source)
    assert code == 1
    assert out == "2 rows imported, 1 rejected.\n"
    assert err == ("Line 3: this row holds bytes that are not UTF-8 text (column 1); "
                   "save the file as UTF-8 and import this line again.\n")
    assert names(sqlite_url) == ["Café 😀 señor", "Núñez"]
    assert [c["client"] for c in contacts(sqlite_url)] == ["Ferretería Ávila", "Ferretería Ávila"]


def test_a_file_written_by_windows_in_cp1252_keeps_its_accents(sqlite_url, tmp_path, capsys):
    source = tmp_path / "contactos.csv"
    source.write_bytes("Nombre;Nombre del cliente\r\nJosé Núñez;Ferretería Ávila\r\nAna € Peña;Ferretería Ávila\r\n"
                       .encode("cp1252"))
    code, out, err = import_contacts(capsys, sqlite_url, source)
    assert (code, out, err) == (0, "2 rows imported, 0 rejected.\n", "")
    assert names(sqlite_url) == ["José Núñez", "Ana € Peña"]


def test_a_file_with_a_utf8_bom_and_a_bad_byte(sqlite_url, tmp_path, capsys):
    source = tmp_path / "contactos.csv"
    source.write_bytes(b"\xef\xbb\xbf" + "Name,Client name,Notes\n".encode() + "Ana,Ávila,ok\n".encode()
                       + b"Beto,\xc1vila,x\n" + b"Carla,Avila,bad \xff byte\n")
    code, out, err = import_contacts(capsys, sqlite_url, source)
    assert code == 1
    assert out == "1 row imported, 2 rejected.\n"
    assert err.splitlines() == [
        "Line 3: this row holds bytes that are not UTF-8 text (column 2); save the file as UTF-8 and "
        "import this line again.",
        "Line 4: this row holds bytes that are not UTF-8 text (column 3); save the file as UTF-8 and "
        "import this line again.",
    ]
    assert names(sqlite_url) == ["Ana"]


# --- rows the database refuses --------------------------------------------------------


def test_a_nul_in_a_name_never_stops_the_import(crm_url, tmp_path, capsys):
    source = tmp_path / "contactos.csv"
    source.write_text("Name,Client name\nAna,Ávila\nBe\x00to,Ávila\nCarla,Ávila\n", encoding="utf-8")
    code, out, err = import_contacts(capsys, crm_url, source)
    imported = names(crm_url)
    assert imported[0] == "Ana" and imported[-1] == "Carla"
    if len(imported) == 3:  # the row was taken, its NUL left out or kept by the backend
        assert (code, out, err) == (0, "3 rows imported, 0 rejected.\n", "")
    else:
        assert (code, out) == (1, "2 rows imported, 1 rejected.\n")
        assert err.startswith("Line 3: ") and len(err.splitlines()) == 1
        assert "\x00" not in err


def refuse_contacts_named(name: str) -> None:
    """A rule of the database itself (a trigger) that refuses one name, as a server might."""
    from crm_tui.db import database

    if is_postgres():
        database.execute_sql(
            "CREATE FUNCTION refuse_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'refused by the server'; END IF; RETURN NEW; END $$")
        database.execute_sql("CREATE TRIGGER refuse_name BEFORE INSERT ON contact FOR EACH ROW "
                             "EXECUTE FUNCTION refuse_name()")
    else:
        database.execute_sql(f"CREATE TRIGGER refuse_name BEFORE INSERT ON contact WHEN NEW.name = '{name}' "
                             "BEGIN SELECT RAISE(FAIL, 'refused by the server'); END")


def test_a_row_the_database_refuses_is_reported_with_its_line_and_the_import_goes_on(crm_url, tmp_path,
                                                                                        capsys):
    open_database(crm_url)
    refuse_contacts_named("Beto")
    close_database()
    source = tmp_path / "contactos.csv"
    source.write_text("Name,Client name\nAna,Ávila\nBeto,Ávila\nCarla,Ávila\n", encoding="utf-8")
    code, out, err = import_contacts(capsys, crm_url, source)
    assert (code, out) == (1, "2 rows imported, 1 rejected.\n")
    assert err.startswith("Line 3: The database refused the change")
    assert "refused by the server" in err and len(err.splitlines()) == 1
    assert names(crm_url) == ["Ana", "Carla"]


def test_from_line_goes_on_where_an_interrupted_import_stopped(sqlite_url, tmp_path, capsys):
    source = tmp_path / "contactos.csv"
    source.write_text("Name,Client name,Notes\nAna,Ávila,\"two\nlines\"\nBeto,Ávila,\nCarla,Ávila,\n",
                      encoding="utf-8")
    code, out, err = import_contacts(capsys, sqlite_url, source, "--from-line", "4")
    assert (code, out, err) == (0, "2 rows imported, 0 rejected.\n", "")
    assert names(sqlite_url) == ["Beto", "Carla"]
    code, out, err = import_contacts(capsys, sqlite_url, source, "--from-line", "0")
    assert code == 2 and out == ""
    assert err == "crm: --from-line takes a line number from 1, not '0'.\n"


# --- address books ------------------------------------------------------------------

GOOGLE_CONTACTS = [
    contact("Ana López", "Ferretería Centro", job_title="Compras", phone="55 8765 4321",
            mobile="+52 55 1234 5678", email="ana@ferreteria.mx",
            address="Av. Juárez 10\nCiudad de México, CDMX 06000\nMéxico",
            notes="Prefiere llamadas\npor la mañana\nDepartment: Almacén\nE-mail (Home): ana.lopez@correo.mx"),
    contact("Beto Ramírez", "Particulares", mobile="55 1111 2222", email="beto@correo.mx",
            notes="Phone (Mobile): 55 3333 4444"),
    contact("Carla", "Ferretería Centro", phone="55 2222 0000",
            notes="Birthday: 1990-05-01\nWebsite (Work): https://ferreteria.example"),
    contact("Refaccionaria Pérez", "Refaccionaria Pérez", email="ventas@perez.mx"),
]


def test_a_google_contacts_csv_imports_as_it_is(crm_url, capsys):
    code, out, err = import_contacts(capsys, crm_url, DATA / "google_contacts.csv", "--client", "Particulares")
    assert (code, out, err) == (0, "4 rows imported, 0 rejected.\n", "")
    assert contacts(crm_url) == GOOGLE_CONTACTS


def test_an_outlook_csv_written_on_windows_imports_as_it_is(sqlite_url, capsys):
    code, out, err = import_contacts(capsys, sqlite_url, DATA / "outlook_contacts.csv", "--client", "Particulares")
    assert (code, out, err) == (0, "2 rows imported, 0 rejected.\n", "")
    assert contacts(sqlite_url) == [
        contact("José Núñez", "Refaccionaria Pérez", job_title="Gerente de ventas", phone="55 5555 0101",
                mobile="55 9999 0101", email="jose@perez.mx",
                address="Calz. de Tlalpan 200\nCiudad de México, CDMX 03100\nMéxico",
                notes="Cliente desde 2019; pide factura\nDepartment: Ventas\nPhone (Home): 55 4444 0101"),
        contact("Lupita Gómez", "Particulares", mobile="55 7777 0202", email="lupita@correo.mx"),
    ]


def test_vcards_of_version_3_and_4_import_as_they_are(crm_url, capsys):
    code, out, err = import_contacts(capsys, crm_url, DATA / "contacts_v3.vcf", "--client", "Particulares")
    assert (code, out, err) == (0, "3 rows imported, 0 rejected.\n", "")
    code, out, err = import_contacts(capsys, crm_url, DATA / "contacts_v4.vcf")
    assert (code, out, err) == (0, "1 row imported, 0 rejected.\n", "")
    assert contacts(crm_url) == [
        contact("Ana López", "Ferretería Centro", job_title="Compras", phone="55 8765 4321",
                mobile="+52 55 1234 5678", email="ana@ferreteria.mx",
                address="Av. Juárez 10\nCiudad de México, CDMX 06000\nMéxico",
                notes="Prefiere llamadas\npor la mañana, antes de las 11\nDepartment: Almacén\n"
                      "E-mail (Home): ana.lopez@correo.mx"),
        contact("Beto Ramírez", "Particulares", phone="55 3333 4444", mobile="55 1111 2222",
                email="beto@correo.mx"),
        contact("Refaccionaria Pérez", "Refaccionaria Pérez", email="ventas@perez.mx"),
        contact("José Núñez", "Refaccionaria Pérez", job_title="Gerente de ventas",
                phone="+52-55-5555-0101 ext. 12", mobile="+52-55-9999-0101", email="jose@perez.mx",
                address="Calz. de Tlalpan 200\nCiudad de México, CDMX 03100\nMéxico",
                notes="Cliente desde 2019\nBirthday: --0203"),
    ]
    open_database(crm_url)
    assert sorted(client.name for client in Client.select()) == ["Ferretería Centro", "Particulares",
                                                                 "Refaccionaria Pérez"]
    close_database()


def test_a_contact_without_organization_needs_a_client(sqlite_url, capsys):
    code, out, err = import_contacts(capsys, sqlite_url, DATA / "google_contacts.csv")
    assert (code, out) == (1, "3 rows imported, 1 rejected.\n")
    assert err == ("Line 6: Beto Ramírez has no organization: name the client for contacts "
                   "without one with --client.\n")


def test_client_by_key_and_a_key_that_does_not_exist(sqlite_url, capsys, tmp_path):
    source = tmp_path / "c.csv"
    source.write_text("Name,Client name\nAna,Ávila\n", encoding="utf-8")
    run(capsys, "--db", sqlite_url, "import", "contacts", str(source))
    code, out, err = import_contacts(capsys, sqlite_url, DATA / "outlook_contacts.csv", "--client", "1")
    assert (code, err) == (0, "")
    assert [c["client"] for c in contacts(sqlite_url)] == ["Ávila", "Refaccionaria Pérez", "Ávila"]
    code, out, err = import_contacts(capsys, sqlite_url, DATA / "outlook_contacts.csv", "--client", "99")
    assert (code, out, err) == (2, "", "crm: There is no client with key 99.\n")


def test_a_broken_vcard_is_rejected_with_its_line(sqlite_url, tmp_path, capsys):
    source = tmp_path / "contacts.vcf"
    source.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nORG:Ávila\nEND:VCARD\n"
                      "BEGIN:VCARD\nVERSION:3.0\nFN:Beto\nthis line is not a property\nEND:VCARD\n"
                      "BEGIN:VCARD\nVERSION:3.0\nN:Gómez;Lupita;;;\nORG:Ávila\nEND:VCARD\n", encoding="utf-8")
    code, out, err = import_contacts(capsys, sqlite_url, source)
    assert (code, out) == (1, "2 rows imported, 1 rejected.\n")
    assert err.startswith("Line 6: this vCard cannot be read: ")
    assert names(sqlite_url) == ["Ana", "Lupita Gómez"]


def test_a_vcard_of_clients_is_refused(sqlite_url, capsys):
    code, out, err = run(capsys, "--db", sqlite_url, "import", "clients", str(DATA / "contacts_v3.vcf"))
    assert (code, out) == (2, "")
    assert err == f"crm: {DATA / 'contacts_v3.vcf'} holds contacts: import it with crm import contacts.\n"


def test_dry_run_shows_what_would_be_created_and_changes_nothing(crm_url, capsys):
    before = counts(crm_url)
    code, out, err = import_contacts(capsys, crm_url, DATA / "google_contacts.csv", "--client", "Particulares",
                                     "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Line 2: would add «Ana López» to the new client «Ferretería Centro».",
        "Line 6: would add «Beto Ramírez» to the new client «Particulares».",
        "Line 7: would add «Carla» to «Ferretería Centro».",
        "Line 8: would add «Refaccionaria Pérez» to the new client «Refaccionaria Pérez».",
        "4 rows would be imported, 0 rejected. Nothing was changed (dry run).",
    ]
    assert counts(crm_url) == before
    code, out, err = import_contacts(capsys, crm_url, DATA / "google_contacts.csv", "--client", "Particulares")
    assert (code, err) == (0, "")
    assert contacts(crm_url) == GOOGLE_CONTACTS


def test_dry_run_of_an_update_and_a_refused_row(sqlite_url, tmp_path, capsys):
    source = tmp_path / "c.csv"
    source.write_text("Key,Name,Client name\n,Ana,Ávila\n", encoding="utf-8")
    run(capsys, "--db", sqlite_url, "import", "contacts", str(source))
    source.write_text("Key,Name,Client name,E-mail\n1,Ana María,Ávila,\n,Beto,Ávila,not-an-email\n",
                      encoding="utf-8")
    before = counts(sqlite_url)
    code, out, err = run(capsys, "--db", sqlite_url, "import", "contacts", str(source), "--dry-run")
    assert code == 1
    assert out.splitlines() == ["Line 2: would update contact 1 «Ana María».",
                                "1 row would be imported, 1 rejected. Nothing was changed (dry run)."]
    assert err == "Line 3: E-mail is not a valid e-mail address.\n"
    assert counts(sqlite_url) == before
    assert names(sqlite_url) == ["Ana"]


def test_the_header_message_names_the_formats_it_knows(sqlite_url, tmp_path, capsys):
    source = tmp_path / "c.csv"
    source.write_text("Nom,Société\nAna,Ávila\n", encoding="utf-8")
    code, out, err = import_contacts(capsys, sqlite_url, source)
    assert (code, out) == (2, "")
    assert err == (f"crm: The first row of {source} must have the column names, as crm export, "
                   "Google Contacts or Outlook write them.\n")


def test_a_google_header_for_clients_is_refused(sqlite_url, tmp_path, capsys):
    source = tmp_path / "c.csv"
    shutil.copy(DATA / "google_contacts.csv", source)
    code, out, err = run(capsys, "--db", sqlite_url, "import", "clients", str(source))
    assert (code, out) == (2, "")
    assert err == f"crm: {source} holds contacts: import it with crm import contacts.\n"
