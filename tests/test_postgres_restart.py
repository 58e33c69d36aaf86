"""A PostgreSQL server that restarts or goes away under the CRM: the operation in flight is
lost with a clear message, the next one reconnects by itself.

These tests start a cluster of their own, on a free port, with initdb and pg_ctl from
/usr/lib/postgresql/*/bin (as the `postgres` OS user when the tests run as root), and
restart it at will. The shared server at 5432 is never touched.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("psycopg", reason="PostgreSQL tests need the psycopg driver (the postgres extra)")

from crm_tui import i18n  # noqa: E402
from crm_tui.db import close_database, migrations, open_database  # noqa: E402
from crm_tui.services import catalogs, users  # noqa: E402
from crm_tui.services.base import writing  # noqa: E402
from crm_tui.services.errors import DatabaseUnavailable, ValidationError  # noqa: E402
from crm_tui.services.failures import user_message  # noqa: E402

# One cluster serves the whole module: under pytest-xdist its tests stay on one worker.
pytestmark = pytest.mark.xdist_group("own_postgres_cluster")

ROOT = Path(__file__).resolve().parent.parent
PG_OS_USER = "postgres"


def postgres_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin that holds initdb and pg_ctl."""
    def version(folder: str) -> int:
        name = Path(folder).parent.name
        return int(name) if name.isdigit() else 0

    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster: its own folder, port and socket directory."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:  # PostgreSQL refuses to run as root
            shutil.chown(self.folder, PG_OS_USER, PG_OS_USER)

    @property
    def url(self) -> str:
        return f"postgresql://{PG_OS_USER}@127.0.0.1:{self.port}/crm"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.binaries / program), *args]
        if self.as_root:
            command = ["runuser", "-u", PG_OS_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def _server_options(self) -> str:
        return (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", PG_OS_USER, "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_OS_USER, "crm")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._server_options(), "-l",
                  str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """A fast restart: the server ends every session, as `pg_ctl restart` does for an admin."""
        self._run("pg_ctl", "-D", str(self.data), "-o", self._server_options(), "-l",
                  str(self.folder / "server.log"), "-m", "fast", "-w", "restart")

    def ensure_running(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            self.start()

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: PostgreSQL refuses to run as root")
    server = Cluster(binaries)
    try:
        server.create()
    except (subprocess.CalledProcessError, OSError) as error:
        server.destroy()
        pytest.skip(f"could not start a PostgreSQL cluster of its own: {error}")
    yield server
    close_database()
    server.destroy()


@pytest.fixture
def crm_db(cluster):
    """A fresh CRM schema on the test's own cluster, bound to the models."""
    cluster.ensure_running()
    database = open_database(cluster.url)
    database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
    database.execute_sql("CREATE SCHEMA public")
    migrations.upgrade(database)
    yield database
    close_database()


@pytest.fixture
def boss(crm_db):
    # The subprocesses act as the system account that runs the tests.
    return users.bootstrap_first_admin(users.system_login(), "Ana Admin")


def down_message(cluster: Cluster) -> str:
    return (f"Cannot connect to the database server at 127.0.0.1:{cluster.port}: "
            "it refuses connections (is it running?).")


# --- the services -------------------------------------------------------------------


def test_a_read_after_a_restart_reconnects_by_itself(cluster, boss):
    catalogs.add_client(boss, catalogs.ClientInput(name="Ferretería Centro"))
    cluster.restart()
    assert [client.name for client in catalogs.list_clients().rows] == ["Ferretería Centro"]


def test_a_save_after_a_restart_reconnects_by_itself(cluster, boss):
    catalogs.add_category(boss, catalogs.CategoryInput(name="Instalación"))
    cluster.restart()
    catalogs.add_category(boss, catalogs.CategoryInput(name="Soporte"))
    assert [c.name for c in catalogs.list_categories().rows] == ["Instalación", "Soporte"]


def test_a_save_cut_by_a_restart_saves_nothing_says_so_and_the_next_one_works(cluster, boss):
    with pytest.raises(DatabaseUnavailable) as refused:
        with writing():
            catalogs.add_category(boss, catalogs.CategoryInput(name="Antes del reinicio"))
            cluster.restart()
            catalogs.add_category(boss, catalogs.CategoryInput(name="Después del reinicio"))
    assert refused.value.message == ("The connection to the database server was lost. "
                                     "Nothing was saved: try again.")
    assert catalogs.list_categories().rows == []
    catalogs.add_category(boss, catalogs.CategoryInput(name="Otra vez"))
    assert [c.name for c in catalogs.list_categories().rows] == ["Otra vez"]


def test_a_refusal_after_a_restart_is_still_the_message_the_user_reads(cluster, boss):
    # The transaction ends with a rule's refusal; its ROLLBACK then finds the connection gone.
    with pytest.raises(ValidationError) as refused:
        with writing():
            catalogs.add_category(boss, catalogs.CategoryInput(name="Antes del reinicio"))
            cluster.restart()
            raise ValidationError("Name is required.", "name")
    assert refused.value.message == "Name is required."
    assert catalogs.list_categories().rows == []


def test_a_connection_lost_while_committing_says_the_change_may_not_be_saved(crm_db, boss):
    # The server ends this very session while it commits: the client cannot know the outcome.
    crm_db.execute_sql("CREATE TABLE probe (id integer)")
    crm_db.execute_sql(
        "CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$")
    crm_db.execute_sql("CREATE CONSTRAINT TRIGGER end_at_commit AFTER INSERT ON probe "
                       "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION end_session()")
    with pytest.raises(DatabaseUnavailable) as refused:
        with writing():
            crm_db.execute_sql("INSERT INTO probe VALUES (1)")
    assert refused.value.message == (
        "The connection to the database server was lost while saving: the change may or may not "
        "have been saved. Check it before trying again.")
    assert crm_db.execute_sql("SELECT count(*) FROM probe").fetchone() == (0,)


def test_while_the_server_is_down_every_operation_says_so_in_the_users_language(cluster, boss):
    catalogs.add_client(boss, catalogs.ClientInput(name="Ferretería Centro"))
    cluster.stop()
    try:
        with pytest.raises(Exception) as read_failed:
            catalogs.list_clients()
        assert user_message(read_failed.value) == down_message(cluster)
        with pytest.raises(DatabaseUnavailable) as save_failed:
            catalogs.add_client(boss, catalogs.ClientInput(name="Refaccionaria Pérez"))
        assert save_failed.value.message == down_message(cluster) + " Nothing was saved: try again."
        i18n.set_language("es")
        with pytest.raises(Exception) as read_failed_es:
            catalogs.list_clients()
        assert user_message(read_failed_es.value) == (
            f"No se puede conectar con el servidor de la base de datos en 127.0.0.1:{cluster.port}: "
            "rechaza las conexiones (¿está en marcha?).")
    finally:
        i18n.set_language("en")
        cluster.start()
    assert [client.name for client in catalogs.list_clients().rows] == ["Ferretería Centro"]


# --- the application ----------------------------------------------------------------


async def test_the_app_rides_through_a_restart_and_says_so_while_the_server_is_down(cluster, boss):
    from crm_tui.screens.catalog import CatalogScreen, EditScreen
    from crm_tui.widgets.dialogs import MessageDialog
    from crm_tui.widgets.record_table import RecordTable
    from test_app_support import SIZE, make_app, open_item, settle, type_text

    catalogs.add_client(boss, catalogs.ClientInput(name="Ferretería Centro"))
    app = make_app(boss)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        table = app.screen.query_one(RecordTable)
        assert [record.name for record in table.records] == ["Ferretería Centro"]

        cluster.restart()
        await pilot.press("f9")
        await settle(pilot)
        assert table.error == ""
        assert [record.name for record in table.records] == ["Ferretería Centro"]
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        await type_text(pilot, "Refaccionaria Pérez")
        cluster.restart()
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        assert sorted(c.name for c in catalogs.list_clients().rows) == ["Ferretería Centro",
                                                                        "Refaccionaria Pérez"]

        cluster.stop()
        try:
            await pilot.press("f9")
            await settle(pilot)
            assert table.error == down_message(cluster)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, MessageDialog)
            assert app.screen.message == down_message(cluster)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CatalogScreen)
        finally:
            cluster.start()
        await pilot.press("f9")
        await settle(pilot)
        assert table.error == ""
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert app.is_running


async def test_a_save_while_the_server_is_down_keeps_the_form_and_says_why(cluster, boss):
    from crm_tui.screens.catalog import EditScreen
    from test_app_support import SIZE, make_app, open_item, settle, type_text

    app = make_app(boss)
    async with app.run_test(size=SIZE) as pilot:
        await open_item(pilot, "clients")
        await pilot.press("f2")
        await settle(pilot)
        await type_text(pilot, "Refaccionaria Pérez")
        cluster.stop()
        try:
            await pilot.press("f8")
            await settle(pilot)
            assert isinstance(app.screen, EditScreen)
            error = str(app.screen.query_one("#form-error").render())
            assert error == "✗ " + down_message(cluster) + " Nothing was saved: try again."
        finally:
            cluster.start()
        await pilot.press("f8")
        await settle(pilot)
        assert not isinstance(app.screen, EditScreen)
        assert [c.name for c in catalogs.list_clients().rows] == ["Refaccionaria Pérez"]


# --- crm import ---------------------------------------------------------------------


def crm(*args: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, CRM_LANG="en")
    for name in ("CRM_DATABASE_URL", "CRM_CONFIG", "CRM_DEBUG"):
        environment.pop(name, None)
    return subprocess.run([sys.executable, "-m", "crm_tui", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=240)


def contact_names() -> list[str]:
    from crm_tui.services.base import iter_keyset
    from crm_tui.db.models import Contact

    return [row[0] for row in iter_keyset(Contact.select(Contact.name, Contact.key).tuples(), [Contact.key])]


def test_crm_import_stopped_by_a_restart_says_where_to_go_on_and_goes_on(cluster, boss, tmp_path):
    rows = 3000
    source = tmp_path / "contactos.csv"
    lines = ["Name,Client name"] + [f"Contacto {number:04d},Cliente {number % 7}" for number in range(1, rows + 1)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    importing = subprocess.Popen(
        [sys.executable, "-m", "crm_tui", "--db", cluster.url, "import", "contacts",
         str(source)], cwd=ROOT, env=dict(os.environ, CRM_LANG="en"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        while len(catalogs.list_contacts().rows) < 20:
            assert importing.poll() is None, importing.communicate()
            time.sleep(0.05)
        assert importing.poll() is None, "the import ended before the restart"
        cluster.restart()
        out, err = importing.communicate(timeout=240)
    finally:
        if importing.poll() is None:
            importing.kill()
            importing.communicate()

    assert "Traceback" not in err
    if importing.returncode == 0:  # the restart fell between two rows: nothing was lost
        assert out == f"{rows} rows imported, 0 rejected.\n"
    else:
        assert importing.returncode == 1
        imported = int(out.split(" rows imported")[0])
        assert out == f"{imported} rows imported, 0 rejected.\n"
        stop_line = int(re.match(r"crm: Line (\d+) ", err).group(1))
        names = contact_names()
        if "may or may not" in err:  # the connection broke while that row was being committed
            assert err == (f"crm: Line {stop_line} may or may not have been imported: the connection to "
                           f"the database server was lost while saving it. Check it, then go on with "
                           f"--from-line {stop_line + 1} if it was imported or --from-line {stop_line} "
                           f"if it was not.\n")
            resume_line = stop_line + 1 if f"Contacto {stop_line - 1:04d}" in names else stop_line
        else:
            assert stop_line == imported + 2  # the header is line 1
            assert err.startswith(f"crm: Line {stop_line} was not imported: ")
            reason = err[len(f"crm: Line {stop_line} was not imported: "):]
            assert reason.startswith(("The connection to the database server was lost. ",
                                      f"Cannot connect to the database server at 127.0.0.1:{cluster.port}: "))
            assert err.endswith(f" To go on, run the same import with --from-line {stop_line}.\n")
            assert len(err.splitlines()) == 1
            assert names == [f"Contacto {number:04d}" for number in range(1, imported + 1)]
            resume_line = stop_line
        again = crm("--db", cluster.url, "import", "contacts", str(source),
                    "--from-line", str(resume_line))
        assert (again.returncode, again.stderr) == (0, "")
        assert again.stdout == f"{rows - (resume_line - 2)} rows imported, 0 rejected.\n"
    assert contact_names() == [f"Contacto {number:04d}" for number in range(1, rows + 1)]
