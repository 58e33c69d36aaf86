"""Realistic sample data: a Mexican IT service company's clients, work and sales.

`fill_demo` writes users, clients, contacts, categories, projects, activities, service
orders with their service entries and reviews, and opportunities with their history,
all consistent with the CRM's rules (see DESIGN.md). The same generator builds the
benchmark database, so it writes in large batches of plain tuples, builds text from
pre-made fragments, and for large sizes loads without the search triggers and secondary
indexes, then rebuilds both once.

All of it is one transaction, so a demo killed at any moment leaves the database as it
was, and nothing in it may cost a file its records: the journal and the disk syncs stay
on (see `_bulk_session`), and the child process that generates rows holds nothing of
its caller's and dies with it (see `_detach_from_caller`).

The data is deterministic for a seed: the same size and seed give the same rows.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import marshal
import os
import random
import signal
import struct
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NoReturn, Sequence

import peewee as pw

from crm_tui.db import counters, is_postgres, is_sqlite, search, write_transaction
from crm_tui.db.connection import database
from crm_tui.db.models import (
    Activity,
    Category,
    Client,
    Contact,
    Opportunity,
    OpportunityEvent,
    OpportunityType,
    OrderReview,
    Project,
    ServiceEntry,
    ServiceOrder,
    User,
)
from crm_tui.db.text import fold
from crm_tui.i18n import N_, _
from crm_tui.services import clock, users
from crm_tui.services.admin import catch_up_id_sequences
from crm_tui.services.errors import ConflictError, ValidationError

Progress = Callable[[str, int, int], None]

# From this many orders on, the load runs without search triggers and secondary indexes
# and rebuilds them at the end: much faster than keeping them up to date row by row.
BULK_THRESHOLD = 10_000
BATCH_ROWS = 20_000
YEARS_OF_HISTORY = 3
HISTORY_ENDS_AT_MINUTE = 7 * 60
DEMO_AUTHOR = "demo"


@dataclass(frozen=True)
class DemoSize:
    """How many records of each kind to write."""

    clients: int = 40
    contacts: int = 150
    users: int = 8
    orders: int = 300
    activities: int = 600
    opportunities: int = 80
    seed: int = 7

    @classmethod
    def scaled(cls, orders: int, seed: int = 7) -> "DemoSize":
        """Sizes in proportion to a number of service orders (as in a real company)."""
        orders = max(1, int(orders))
        contacts = max(10, orders // 5)
        return cls(
            clients=max(3, contacts // 5),
            contacts=contacts,
            users=min(60, max(8, orders // 20_000)),
            orders=orders,
            activities=orders,
            opportunities=max(10, orders // 10),
            seed=seed,
        )


@dataclass(frozen=True)
class DemoSummary:
    """How many records `fill_demo` wrote, by kind."""

    users: int = 0
    clients: int = 0
    contacts: int = 0
    categories: int = 0
    projects: int = 0
    activities: int = 0
    orders: int = 0
    service_entries: int = 0
    order_reviews: int = 0
    opportunity_types: int = 0
    opportunities: int = 0
    opportunity_events: int = 0
    operator: str = ""  # OPERATOR_ADDED, OPERATOR_KNOWN, OPERATOR_LEFT_OUT, or "" when not asked

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in RECORD_KINDS)


RECORD_KINDS = ("users", "clients", "contacts", "categories", "projects", "activities", "orders", "service_entries",
                "order_reviews", "opportunity_types", "opportunities", "opportunity_events")


# Progress stages, translated where they are shown.
STAGE_USERS = N_("Writing technicians")
STAGE_CATALOGS = N_("Writing categories and opportunity types")
STAGE_CLIENTS = N_("Writing clients")
STAGE_CONTACTS = N_("Writing contacts")
STAGE_PROJECTS = N_("Writing projects")
STAGE_ACTIVITIES = N_("Writing activities")
STAGE_ORDERS = N_("Writing service orders")
STAGE_OPPORTUNITIES = N_("Writing opportunities")
STAGE_INDEXES = N_("Building indexes")
STAGE_SEARCH = N_("Building the search index")


# --- vocabulary ----------------------------------------------------------------------

FIRST_NAMES = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Alejandro", "Fernando", "Ricardo",
    "Roberto", "Francisco", "Eduardo", "Arturo", "Javier", "Sergio", "Raúl", "Héctor", "Óscar",
    "Adrián", "Gerardo", "Martín", "Rubén", "Enrique", "Alberto", "Víctor", "Andrés", "Iván",
    "Rodrigo", "Emilio", "Ángel", "María", "Guadalupe", "Juana", "Verónica", "Patricia",
    "Leticia", "Rosa", "Gabriela", "Alejandra", "Claudia", "Adriana", "Mónica", "Sofía",
    "Fernanda", "Daniela", "Mariana", "Araceli", "Lorena", "Silvia", "Norma", "Beatriz",
    "Karla", "Itzel", "Ximena", "Paola", "Brenda", "Yolanda", "Elena", "Martha", "Liliana",
)
SURNAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero",
    "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez", "Herrera", "Medina",
    "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas", "Contreras", "Salazar", "Luna",
    "Ortega", "Santiago", "Guerrero", "Estrada", "Bautista", "Cortés", "Soto", "Alvarado",
    "Espinoza", "Lara", "Ávila", "Ríos", "Cervantes", "Delgado", "Vega", "Ibarra", "Campos",
    "Navarro", "Sandoval", "Zúñiga", "Carrillo", "Acosta", "Valdez", "Pacheco", "Orozco",
)
JOB_TITLES = (
    "Gerente de Sistemas", "Jefe de TI", "Director General", "Administradora", "Contador General",
    "Encargada de Compras", "Recepcionista", "Coordinador de Soporte", "Gerente de Operaciones",
    "Auxiliar administrativo", "Gerente de Sucursal", "Jefa de Recursos Humanos",
    "Responsable de Mantenimiento", "Asistente de Dirección", "Supervisor de Almacén",
    "Directora de Finanzas", "Encargado de Seguridad", "Coordinadora Académica", "Dueño",
)
COMPANY_KINDS = (
    "Grupo", "Comercializadora", "Distribuidora", "Servicios Integrales", "Constructora",
    "Laboratorios", "Hotel", "Clínica", "Despacho Contable", "Transportes", "Farmacias",
    "Colegio", "Industrias", "Agroindustrias", "Consultores", "Ferretería", "Abarrotes",
    "Restaurante", "Inmobiliaria", "Refaccionaria", "Papelería", "Hospital", "Notaría",
)
COMPANY_CORES = (
    "del Bajío", "Regiomontana", "Altamira", "Sierra Madre", "Los Pinos", "Santa Fe", "Azteca",
    "del Valle", "Anáhuac", "Cuauhtémoc", "Tlaloc", "Chapultepec", "Del Pacífico", "Peninsular",
    "Huasteca", "Tapatía", "Poblana", "La Esperanza", "San Miguel", "El Roble", "Las Palmas",
    "Itzá", "Del Golfo", "Norteña", "Quetzal", "Monte Albán", "La Paz", "Querétaro",
    "Aguascalientes", "Xochimilco", "Coyoacán", "Mitla", "Bonampak", "Tulum", "Nevado",
)
COMPANY_SUFFIXES = ("S.A. de C.V.", "S. de R.L. de C.V.", "S.C.", "S.A.P.I. de C.V.")
# city, state, phone area code, postal code prefix
CITIES = (
    ("Ciudad de México", "CDMX", "55", "06"), ("Guadalajara", "Jalisco", "33", "44"),
    ("Monterrey", "Nuevo León", "81", "64"), ("Puebla", "Puebla", "222", "72"),
    ("Querétaro", "Querétaro", "442", "76"), ("León", "Guanajuato", "477", "37"),
    ("Mérida", "Yucatán", "999", "97"), ("Toluca", "Estado de México", "722", "50"),
    ("Tijuana", "Baja California", "664", "22"), ("San Luis Potosí", "San Luis Potosí", "444", "78"),
    ("Aguascalientes", "Aguascalientes", "449", "20"), ("Morelia", "Michoacán", "443", "58"),
    ("Veracruz", "Veracruz", "229", "91"), ("Chihuahua", "Chihuahua", "614", "31"),
    ("Hermosillo", "Sonora", "662", "83"), ("Saltillo", "Coahuila", "844", "25"),
    ("Cancún", "Quintana Roo", "998", "77"), ("Oaxaca", "Oaxaca", "951", "68"),
)
STREETS = (
    "Av. Insurgentes Sur", "Av. Reforma", "Calle Hidalgo", "Av. Juárez", "Calle Morelos",
    "Blvd. Adolfo López Mateos", "Av. Vallarta", "Calle Zaragoza", "Av. Constitución",
    "Calle 5 de Mayo", "Av. Universidad", "Calle Allende", "Av. Revolución", "Calle Guerrero",
    "Blvd. Díaz Ordaz", "Av. Tecnológico", "Calle Independencia", "Av. de las Américas",
)
NEIGHBOURHOODS = (
    "Centro", "Del Valle", "Roma Norte", "Providencia", "Obispado", "La Paz", "Juriquilla",
    "Jardines del Moral", "Altabrisa", "Industrial", "Chapultepec", "San Benito", "Las Águilas",
    "Lomas Verdes", "Santa Cruz", "Country Club", "Residencial Campestre", "Americana",
)

# Each family of equipment: devices (brand and model), symptoms, work done.
FAMILIES = (
    (
        ("la impresora HP LaserJet Pro M404", "la multifuncional Epson EcoTank L3250",
         "la impresora Brother HL-L2350", "la copiadora Kyocera Ecosys M2040",
         "la multifuncional Xerox VersaLink C405", "la impresora Lexmark MS431",
         "el plotter HP DesignJet T250", "la impresora de tickets Epson TM-T20"),
        ("no imprime", "atasca el papel en la bandeja 2", "deja manchas en la impresión",
         "no aparece en la red", "marca error de tóner", "imprime hojas en blanco",
         "hace ruido en el fusor", "no escanea a la carpeta compartida",
         "imprime con rayas verticales", "pide cartucho aunque está nuevo"),
        ("Se limpió el fusor y los rodillos de alimentación.", "Se reemplazó el tóner y se hizo prueba de impresión.",
         "Se configuró la IP fija y se reinstaló el controlador en las computadoras.",
         "Se cambió la unidad de imagen.", "Se actualizó el firmware de la impresora.",
         "Se configuró el escaneo a carpeta con el usuario del dominio.",
         "Se retiró papel atorado y se ajustó la guía de la bandeja."),
    ),
    (
        ("el switch Cisco Catalyst 2960", "el router MikroTik hEX", "el access point Ubiquiti UniFi U6",
         "el firewall Fortinet FortiGate 60F", "el switch TP-Link Omada de 24 puertos",
         "el módem del proveedor de internet", "el rack de comunicaciones"),
        ("no tiene conexión a internet", "tiene intermitencia en la red inalámbrica",
         "tiene un puerto dañado", "está lento en toda la red", "no asigna IP por DHCP",
         "pierde el enlace VPN con la sucursal", "se reinicia varias veces al día",
         "no deja entrar al portal de administración"),
        ("Se cambió el cable de red y se ponchó de nuevo el nodo.", "Se actualizó el firmware del equipo.",
         "Se reconfiguró la VLAN de invitados.", "Se renovó el túnel VPN con la sucursal.",
         "Se ordenó el cableado del rack y se etiquetaron los nodos.",
         "Se ajustaron los canales de la red inalámbrica para evitar interferencia.",
         "Se reportó la falla al proveedor de internet con número de reporte."),
    ),
    (
        ("el servidor Dell PowerEdge T340", "el servidor HPE ProLiant ML30",
         "el servidor Lenovo ThinkSystem ST50", "el NAS Synology DS920+", "el NAS QNAP TS-453D",
         "el no-break APC Smart-UPS 1500"),
        ("no enciende", "tiene un disco degradado en el arreglo RAID", "se apaga por falla de energía",
         "tiene actualizaciones de Windows Server pendientes", "no completa el respaldo nocturno",
         "se reinicia solo", "se quedó sin espacio en disco", "no deja entrar al escritorio remoto"),
        ("Se reemplazó el disco del arreglo RAID y se reconstruyó el volumen.",
         "Se revisó el registro de eventos y se aplicaron las actualizaciones.",
         "Se configuró la tarea de respaldo y se verificó la restauración.",
         "Se cambió la batería del no-break y se probó la autonomía.",
         "Se depuraron archivos temporales y se amplió el volumen.",
         "Se revisaron los permisos de la carpeta compartida."),
    ),
    (
        ("la cámara Hikvision DS-2CD2143", "el DVR Dahua XVR5108", "el NVR Hikvision DS-7608",
         "la cámara PTZ Axis M5525", "la cámara domo Dahua de la entrada", "el videoportero Hikvision"),
        ("no da imagen", "no graba desde hace días", "no tiene visión nocturna",
         "no se puede ver desde el celular", "tiene el disco lleno", "perdió la fecha y la hora",
         "muestra la imagen borrosa", "se desconecta cuando llueve"),
        ("Se ajustó el ángulo de la cámara y se limpió el domo.", "Se reemplazó el disco duro del grabador.",
         "Se configuró el acceso remoto con la aplicación del celular.",
         "Se cambió la fuente de alimentación de la cámara.", "Se sincronizó la hora con el servidor NTP.",
         "Se selló la conexión del conector contra la humedad."),
    ),
    (
        ("la computadora Lenovo ThinkCentre M70", "la computadora Dell OptiPlex 7090",
         "la computadora HP ProDesk 400", "la laptop Lenovo ThinkPad E14", "la laptop Acer Aspire 5",
         "la MacBook Air", "la laptop HP ProBook 450", "el monitor Samsung de 24 pulgadas"),
        ("está muy lenta", "muestra pantalla azul", "tiene virus y ventanas emergentes", "no enciende",
         "no reconoce el teclado", "no sincroniza el correo de Outlook", "no carga la batería",
         "se calienta mucho", "no abre el sistema de facturación"),
        ("Se reinstaló Windows 11 y se respaldó la información del usuario.",
         "Se cambió el disco a estado sólido y se clonó la información.",
         "Se limpió el equipo por dentro y se cambió la pasta térmica.",
         "Se eliminó el malware y se instaló el antivirus.", "Se reconfiguró la cuenta de correo en Outlook.",
         "Se reemplazó la batería.", "Se instaló el sistema de facturación y se probó el timbrado."),
    ),
    (
        ("el conmutador Panasonic KX-TDA", "el teléfono IP Grandstream GXP1625", "la central Yeastar S20"),
        ("no tiene tono", "no transfiere las llamadas", "se escucha con eco", "no registra las extensiones"),
        ("Se reprogramaron las extensiones del conmutador.", "Se cambió el cable de la línea telefónica.",
         "Se actualizó la configuración SIP con el proveedor."),
    ),
)
PLACES = (
    "en recepción", "en el área de contabilidad", "en la bodega", "en la sucursal Centro",
    "en el segundo piso", "en la sala de juntas", "en el site", "en el almacén", "en la caja 3",
    "en la oficina del director", "en el consultorio 2", "en la planta de producción",
    "en el área de ventas", "en la sucursal Norte", "en el laboratorio", "en la farmacia",
    "en el estacionamiento", "en la entrada principal", "en el aula de cómputo", "en la cocina",
)
ORDER_EXTRAS = (
    "Urgente, tienen cierre de mes.", "El cliente pide la visita por la mañana.",
    "Equipo en garantía, revisar la factura.", "Ya se había reportado la semana pasada.",
    "Llevar tóner de repuesto.", "Avisar al encargado antes de llegar.", "Cotizar la refacción si es necesario.",
    "Preguntar por la persona de sistemas.", "Hubo un apagón ayer y desde entonces falla.",
    "Afecta a todo el personal del turno.", "Tienen auditoría el viernes.",
    "Revisar también la conexión de energía del equipo.", "Solicitan factura a nombre de la empresa.",
    "El acceso es por la puerta trasera.", "Traer escalera para la cámara del techo.", "",
    "", "",
)
ENTRY_FOLLOW_UPS = (
    "Se espera la refacción del proveedor.", "El cliente confirma que ya funciona.",
    "Se deja en observación hasta mañana.", "Se explicó al usuario cómo evitar la falla.",
    "Se requiere una segunda visita.", "Se tomaron fotos del equipo para el reporte.", "", "",
)
FINISHING_ENTRIES = (
    "Servicio terminado, el cliente firma de conformidad.",
    "Servicio terminado, todo funciona correctamente.",
    "Servicio terminado. Se entrega el equipo configurado.",
    "Servicio terminado, reporte firmado por el encargado.",
)
REOPEN_COMMENTS = (
    "La falla volvió a presentarse al día siguiente.", "El cliente reporta que sigue igual.",
    "Falta configurar el segundo equipo.", "El usuario no quedó conforme con la solución.",
)
REVIEW_COMMENTS = {
    1: ("El problema no se resolvió a tiempo.", "Muy tardado, tuvimos que insistir varias veces."),
    2: ("Tardaron en llegar y hubo que regresar.", "Se resolvió pero con mucha demora."),
    3: ("Bien, aunque la cita se movió dos veces.", "Servicio correcto."),
    4: ("Buen servicio, el técnico explicó todo.", "Rápido y ordenado."),
    5: ("Excelente servicio, muy rápido.", "Muy amable el técnico, todo quedó funcionando.",
        "Excelente atención, resolvieron el mismo día."),
}
EQUIPMENT_NOTES = (
    "Se recibe con cargador.", "Se recibe sin cables.", "Se recibe con su caja y tóner usado.",
    "Se recibe con la pantalla rayada.", "Se recibe con contraseña anotada por el usuario.",
)

ORDER_CATEGORIES = ("Soporte en sitio", "Instalación", "Mantenimiento preventivo", "Mantenimiento correctivo",
                    "Garantía", "Soporte remoto", "Configuración de red")
ACTIVITY_ONLY_CATEGORIES = ("Llamada telefónica", "Visita comercial", "Cotización", "Seguimiento",
                            "Capacitación", "Correo electrónico")
CALL_CATEGORY = "Llamada telefónica"
OPPORTUNITY_TYPES = ("Venta de equipo", "Póliza de mantenimiento", "Cableado estructurado",
                     "Renta de impresoras", "Videovigilancia (CCTV)", "Licenciamiento de software",
                     "Servicios en la nube", "Soporte externo de TI")
PRODUCTS = ("una póliza de mantenimiento anual", "la renta de 5 multifuncionales", "10 computadoras HP ProDesk",
            "el cableado de la nueva oficina", "un sistema de 8 cámaras", "licencias de Microsoft 365",
            "un servidor Dell PowerEdge", "un no-break para el site", "el respaldo en la nube",
            "la migración del correo", "un conmutador IP", "la red inalámbrica del hotel")
ACTIVITY_TEMPLATES = (
    "Llamada de {contact} para reportar que {device} {symptom} {place}.",
    "Se llamó a {contact} para confirmar la cita del técnico.",
    "Visita comercial con {contact} para presentar {product}.",
    "Se envió por correo la cotización de {product} a {contact}.",
    "{contact} pide información sobre {product}.",
    "Seguimiento con {contact}: revisar si {device} sigue funcionando.",
    "Capacitación a {contact} sobre el uso de {device}.",
    "Reunión con {contact} para revisar el avance del proyecto.",
)
TASK_TEMPLATES = (
    "Enviar cotización de {product} a {contact}.", "Programar mantenimiento preventivo de {device}.",
    "Dar seguimiento al pago de la factura con {contact}.", "Pedir refacción para {device}.",
    "Llamar a {contact} para agendar la visita.", "Preparar propuesta de {product}.",
)
FOLLOW_UP_NOTES = ("Cliente satisfecho.", "Se envió la información por correo.", "Quedó de confirmar por WhatsApp.",
                   "Se agendó visita para la próxima semana.", "Pide que le llamen después de las 4.", "")
PROJECT_NAMES = ("Póliza de mantenimiento {year}", "Cableado estructurado de la nueva oficina",
                 "Migración a Microsoft 365", "Instalación de CCTV en bodega", "Renovación de equipos de cómputo",
                 "Red inalámbrica para clientes", "Servidor de archivos y respaldos", "Apertura de sucursal")
FOUND_US_BY = ("Recomendación de un cliente", "Google", "Facebook", "Expo de proveedores", "Visita en frío",
               "Página web", "Ya era cliente de servicio")
WAITING_COMMENTS = ("Espera la aprobación del director.", "Está comparando con otra cotización.",
                    "Pidió llamar después de su cierre de mes.", "Revisará el presupuesto con finanzas.")
WORKING_COMMENTS = ("Se hizo el levantamiento en sitio.", "Se ajustó la propuesta con descuento por volumen.",
                    "El cliente pidió una demostración.", "Se envió la propuesta técnica y económica.")
LOST_REASONS = ("Eligieron a la competencia por precio.", "Se canceló el presupuesto del proyecto.",
                "No respondimos a tiempo con la cotización.", "El cliente decidió posponerlo un año.")
TO_IMPROVE = ("Responder la cotización en menos de 24 horas.", "Ofrecer opciones de financiamiento.",
              "Dar seguimiento semanal por teléfono.", "Incluir casos de éxito en la propuesta.")
def _contracted(text: str) -> str:
    """Spanish contracts "de el" and "a el" to "del" and "al" (a device may start with "el")."""
    return text.replace(" de el ", " del ").replace(" a el ", " al ")


SUBJECTS = ("Cotización de {product}", "Interés en {product}", "Propuesta de {product}", "Renovación de {product}")


# --- time ----------------------------------------------------------------------------


class _Clock:
    """Minutes since the first day of the history, written as the database stores them."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.start = today - dt.timedelta(days=365 * YEARS_OF_HISTORY)
        day_count = (today - self.start).days + 60  # room for due and next-contact dates
        self.days = [(self.start + dt.timedelta(days=d)).isoformat() for d in range(day_count)]
        self.times = [" %02d:%02d:00" % divmod(m, 60) for m in range(1440)]
        self.today = (today - self.start).days
        # The history ends this morning, before office hours: the same seed gives the
        # same rows all day long, and nothing happens in the future.
        self.now = self.today * 1440 + HISTORY_ENDS_AT_MINUTE
        self.workdays = [d for d in range(self.today) if (self.start + dt.timedelta(days=d)).weekday() < 6]
        self.rng = rng

    def stamp(self, minute: int) -> str:
        return self.days[minute // 1440] + self.times[minute % 1440]

    def working_minute(self) -> int:
        """A moment in office hours on a working day of the history (not in the future)."""
        r = self.rng.random
        days = self.workdays
        return min(days[int(r() * len(days))] * 1440 + 480 + int(r() * 660), self.now)

    def sorted_moments(self, count: int) -> list[int]:
        # Business grows: later days are a little busier than early ones.
        r = self.rng.random
        days = self.workdays
        n = len(days)
        moments = [days[min(n - 1, int((r() ** 0.8) * n))] * 1440 + 480 + int(r() * 660) for _ in range(count)]
        moments.sort()
        now = self.now
        return [m if m < now else now for m in moments]


# --- what the generator needs from the database --------------------------------------

CLIENT, CONTACT, PROJECT, ACTIVITY, ORDER, ENTRY, REVIEW, OPPORTUNITY, EVENT = (
    "client", "contact", "project", "activity", "order", "entry", "review", "opportunity", "event")
AUDIT = ("created_at", "created_by", "updated_at", "updated_by", "version")
# Table key -> model and the columns of the tuples the generator yields, in order.
TABLES: dict[str, tuple[type[pw.Model], tuple[str, ...]]] = {
    CLIENT: (Client, ("id", *AUDIT, "key", "name", "name_folded", "tax_id", "phone", "email", "address",
                      "notes", "active")),
    CONTACT: (Contact, ("id", *AUDIT, "key", "client", "name", "name_folded", "job_title", "phone", "mobile",
                        "email", "address", "notes", "active")),
    PROJECT: (Project, ("id", *AUDIT, "key", "client", "name", "name_folded", "start_date", "goal_date",
                        "user_in_charge", "contact_in_charge", "description")),
    ACTIVITY: (Activity, ("id", *AUDIT, "folio", "kind", "when", "user", "contact", "client", "category", "detail",
                          "status", "followup_notes", "due_date", "assignee", "source_activity",
                          "created_order_id")),
    ORDER: (ServiceOrder, ("id", *AUDIT, "number", "project", "contact", "client", "priority", "assigned_user",
                           "appointment_at", "category", "detail", "equipment", "status", "finished_at",
                           "closed_at", "rating", "customer_comments", "times_reopened", "source_activity")),
    ENTRY: (ServiceEntry, ("id", *AUDIT, "order", "when", "user", "work_done", "minutes", "service_finished")),
    REVIEW: (OrderReview, ("id", *AUDIT, "order", "when", "user", "action", "customer_comments", "closed",
                           "rating")),
    OPPORTUNITY: (Opportunity, ("id", *AUDIT, "number", "contact", "client", "type", "agent", "subject",
                                "observations", "found_us_by", "status", "next_contact_date", "invoice_number",
                                "why_lost", "to_improve")),
    EVENT: (OpportunityEvent, ("id", *AUDIT, "opportunity", "when", "user", "from_status", "to_status", "comment",
                               "next_contact_date", "invoice_number", "why_lost", "to_improve")),
}
NUMBERED = {CLIENT: Client.key, CONTACT: Contact.key, PROJECT: Project.key, ACTIVITY: Activity.folio,
            ORDER: ServiceOrder.number, OPPORTUNITY: Opportunity.number}


@dataclass(frozen=True)
class _Start:
    """Plain values the generator starts from, so it can run apart from the database."""

    size: DemoSize
    users: tuple[tuple[int, str, str], ...]  # id, username, role
    order_categories: tuple[int, ...]
    activity_categories: tuple[int, ...]
    call_category: int
    opportunity_types: tuple[int, ...]
    first_ids: dict[str, int]
    first_numbers: dict[str, int]
    today: dt.date


# --- the generator -------------------------------------------------------------------

ROWS, PROGRESS, COUNTS = "rows", "progress", "counts"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Generator:
    """Yields (ROWS, table, [tuples]) in an order that respects foreign keys, then
    (PROGRESS, stage, done, total) now and then and (COUNTS, {...}) at the end."""

    def __init__(self, start: _Start):
        self.start = start
        self.size = start.size
        self.rng = random.Random(start.size.seed)
        self.clock = _Clock(self.rng, start.today)
        self.user_ids = [u[0] for u in start.users]
        self.user_names = {u[0]: u[1] for u in start.users}
        self.technicians = [u[0] for u in start.users if u[2] == User.AGENT] or self.user_ids
        self.counts: dict[str, int] = {}

    def pick(self, items: Sequence):
        return items[int(self.rng.random() * len(items))]

    def batches(self) -> Iterator[tuple]:
        yield from self.clients()
        yield from self.contacts()
        yield from self.projects()
        self.plan_orders()
        yield from self.activities()
        yield from self.orders()
        yield from self.opportunities()
        yield (COUNTS, dict(self.counts))

    # -- companies and people --

    def clients(self) -> Iterator[tuple]:
        n = self.size.clients
        r, pick = self.rng.random, self.pick
        first_id, first_key = self.start.first_ids[CLIENT], self.start.first_numbers[CLIENT]
        folded_names: dict[str, str] = {}
        self.client_city: list[int] = []
        self.client_domain: list[str] = []
        alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        rows = []
        for i in range(n):
            core = pick(SURNAMES) if r() < 0.3 else pick(COMPANY_CORES)
            name = f"{pick(COMPANY_KINDS)} {core} {pick(COMPANY_SUFFIXES)}"
            folded = folded_names.get(name)
            if folded is None:
                folded = folded_names[name] = fold(name)
            city = int(r() * len(CITIES))
            words = [w for w in folded.split() if w.isalpha() and len(w) > 2]
            initials = "".join(w[0] for w in words[:3]).upper().ljust(3, "X")
            tax_id = "%s%02d%02d%02d%s" % (initials, int(r() * 100), 1 + int(r() * 12), 1 + int(r() * 28),
                                           "".join(alnum[int(r() * 36)] for _ in range(3)))
            domain = "".join(words[1:3] or words[:1]) + ".com.mx"
            created = self.clock.stamp(self.clock.workdays[int(r() * 30)] * 1440 + 540 + i % 400)
            rows.append((first_id + i, created, DEMO_AUTHOR, created, DEMO_AUTHOR, 1, first_key + i, name, folded,
                         tax_id, self._phone(CITIES[city][2]), "contacto@" + domain, self._address(city),
                         "Cliente con póliza de mantenimiento." if r() < 0.2 else "", True))
            self.client_city.append(city)
            self.client_domain.append(domain)
            if len(rows) >= BATCH_ROWS:
                yield (PROGRESS, STAGE_CLIENTS, i, n)
                yield (ROWS, CLIENT, rows)
                rows = []
        yield (ROWS, CLIENT, rows)
        self.client_ids = list(range(first_id, first_id + n))
        self.counts["clients"] = n

    def _phone(self, area: str) -> str:
        number = "%010d" % int(self.rng.random() * 10_000_000_000)
        number = number[len(area):]
        if len(area) == 2:
            return f"+52 {area} {number[:4]} {number[4:]}"
        return f"+52 {area} {number[:3]} {number[3:]}"

    def _address(self, city_index: int) -> str:
        r = self.rng.random
        city, state, _area, postal = CITIES[city_index]
        return (f"{self.pick(STREETS)} {1 + int(r() * 2400)}, Col. {self.pick(NEIGHBOURHOODS)}, "
                f"C.P. {postal}{int(r() * 1000):03d}, {city}, {state}")

    def contacts(self) -> Iterator[tuple]:
        n = self.size.contacts
        r, pick = self.rng.random, self.pick
        first_id, first_key = self.start.first_ids[CONTACT], self.start.first_numbers[CONTACT]
        folded = {name: fold(name) for name in FIRST_NAMES + SURNAMES}
        client_count = len(self.client_ids)
        self.contact_client: list[int] = []  # client index of each contact
        self.client_contacts: list[list[int]] = [[] for _ in range(client_count)]
        self.contact_names: list[str] = []
        rows = []
        for i in range(n):
            # Every client has a contact; then big accounts get more of them.
            client = i if i < client_count else int((r() ** 2) * client_count)
            first, s1, s2 = pick(FIRST_NAMES), pick(SURNAMES), pick(SURNAMES)
            city = self.client_city[client]
            area = CITIES[city][2]
            created = self.clock.stamp(self.clock.working_minute())
            rows.append((first_id + i, created, DEMO_AUTHOR, created, DEMO_AUTHOR, 1, first_key + i,
                         self.client_ids[client], f"{first} {s1} {s2}", f"{folded[first]} {folded[s1]} {folded[s2]}",
                         pick(JOB_TITLES), self._phone(area) + (f" ext. {100 + int(r() * 200)}" if r() < 0.4 else ""),
                         self._phone(area) if r() < 0.8 else "",
                         f"{folded[first].replace(' ', '')}.{folded[s1]}@{self.client_domain[client]}",
                         self._address(city) if r() < 0.3 else "",
                         "Prefiere que le escriban por WhatsApp." if r() < 0.1 else "", r() > 0.03))
            self.contact_client.append(client)
            self.client_contacts[client].append(i)
            self.contact_names.append(f"{first} {s1}")
            if len(rows) >= BATCH_ROWS:
                yield (PROGRESS, STAGE_CONTACTS, i, n)
                yield (ROWS, CONTACT, rows)
                rows = []
        yield (ROWS, CONTACT, rows)
        self.first_contact_id = first_id
        self.counts["contacts"] = n

    def projects(self) -> Iterator[tuple]:
        n = max(1, len(self.client_ids) // 2)
        r, pick = self.rng.random, self.pick
        clock = self.clock
        first_id, first_key = self.start.first_ids[PROJECT], self.start.first_numbers[PROJECT]
        self.client_projects: dict[int, list[int]] = {}
        rows = []
        yield (PROGRESS, STAGE_PROJECTS, 0, n)
        for i in range(n):
            client = int((r() ** 2) * len(self.client_ids))
            start = clock.workdays[int(r() * len(clock.workdays))]
            name = pick(PROJECT_NAMES).format(year=(clock.start + dt.timedelta(days=start)).year)
            goal = min(start + 14 + int(r() * 180), len(clock.days) - 1)
            contacts = self.client_contacts[client]
            contact = pick(contacts) if contacts else None
            leader = pick(self.user_ids)
            created = clock.stamp(start * 1440 + 540)
            rows.append((first_id + i, created, self.user_names[leader], created, self.user_names[leader], 1,
                         first_key + i, self.client_ids[client], name, fold(name), clock.days[start],
                         clock.days[goal], leader, None if contact is None else self.first_contact_id + contact,
                         f"{name}. Responsable con el cliente: "
                         f"{self.contact_names[contact] if contact is not None else 'por definir'}."))
            self.client_projects.setdefault(client, []).append(first_id + i)
        yield (ROWS, PROJECT, rows)
        self.counts["projects"] = n

    # -- text pools: a few thousand sentences made once, picked by index per row --

    def make_pools(self) -> None:
        pick, r = self.pick, self.rng.random
        self.order_details: list[tuple[int, str, str]] = []  # family, device, detail
        for _ in range(6000):
            family = int(r() * len(FAMILIES))
            devices, symptoms, _work = FAMILIES[family]
            device = pick(devices)
            detail = f"{_capitalised(device)} {pick(symptoms)} {pick(PLACES)}. {pick(ORDER_EXTRAS)}".rstrip()
            if r() < 0.3:
                detail += f" Reporta {pick(FIRST_NAMES)} {pick(SURNAMES)}, {pick(JOB_TITLES).lower()}."
            self.order_details.append((family, device, detail))
        self.work_texts = [list(work) + [f"{w} {f}" for w in work for f in ENTRY_FOLLOW_UPS if f]
                           for _devices, _symptoms, work in FAMILIES]
        self.activity_texts: list[str] = []
        self.task_texts: list[str] = []
        for _ in range(6000):
            family = int(r() * len(FAMILIES))
            devices, symptoms, _work = FAMILIES[family]
            values = {"contact": f"{pick(FIRST_NAMES)} {pick(SURNAMES)}", "device": pick(devices),
                      "symptom": pick(symptoms), "place": pick(PLACES), "product": pick(PRODUCTS)}
            self.activity_texts.append(_contracted(pick(ACTIVITY_TEMPLATES).format(**values)))
            self.task_texts.append(_contracted(pick(TASK_TEMPLATES).format(**values)))

    def plan_orders(self) -> None:
        """Order times come first: activities that created an order sit just before it."""
        n_orders, n_activities = self.size.orders, self.size.activities
        self.make_pools()
        self.order_moments = self.clock.sorted_moments(n_orders)
        self.first_order_id = self.start.first_ids[ORDER]
        self.first_activity_id = self.start.first_ids[ACTIVITY]
        # One order in ten came from a phone call logged as an activity.
        self.order_source: dict[int, int] = {}  # order index -> activity index
        self.activity_order: dict[int, int] = {}
        if n_activities:
            for i in range(3, n_orders, 10):
                j = i * n_activities // n_orders
                if j not in self.activity_order:
                    self.order_source[i] = j
                    self.activity_order[j] = i

    def _order_contact(self, order: int) -> int:
        """The contact of an order, the same whichever of order and activity asks first."""
        return (order * 2654435761 + self.size.seed) % len(self.contact_client)

    # -- activities --

    def activities(self) -> Iterator[tuple]:
        n = self.size.activities
        r = self.rng.random
        clock = self.clock
        days, times = clock.days, clock.times
        first_id = self.first_activity_id
        first_folio = self.start.first_numbers[ACTIVITY]
        moments = clock.sorted_moments(n)
        contact_count = len(self.contact_client)
        users, names = self.user_ids, self.user_names
        n_users = len(users)
        categories = self.start.activity_categories
        activity_texts, task_texts = self.activity_texts, self.task_texts
        order_details, order_moments, activity_order = self.order_details, self.order_moments, self.activity_order
        contact_names, contact_client, client_ids = self.contact_names, self.contact_client, self.client_ids
        first_contact = self.first_contact_id
        # The last two weeks still have open follow-ups, as any team has: the home screen
        # of a new demo shows each person some work.
        recent, stale_day = clock.now - 14 * 1440, clock.today - 7
        rows = []
        for j in range(n):
            order = activity_order.get(j)
            when = moments[j]
            user = users[int(r() * n_users)]
            due = assignee = source = created_order = None
            if order is not None:
                contact = self._order_contact(order)
                kind, category, status = Activity.ACTIVITY, self.start.call_category, Activity.DONE
                when = max(0, order_moments[order] - 5 - int(r() * 60))
                detail = (f"Llamada de {contact_names[contact]}: {order_details[order % 6000][2]} "
                          "Se genera orden de servicio.")
                created_order = self.first_order_id + order
            else:
                contact = int((r() ** 1.5) * contact_count)
                category = categories[int(r() * len(categories))]
                if r() < 0.25:
                    kind = Activity.TASK
                    detail = task_texts[int(r() * len(task_texts))]
                    due_day = when // 1440 + 1 + int(r() * 14)
                    due = days[due_day]
                    assignee = users[int(r() * n_users)]
                    status = Activity.PENDING if due_day >= stale_day and r() < 0.8 else Activity.DONE
                    if j > 0 and r() < 0.3:
                        source = first_id + j - 1 - int(r() * min(j, 50))
                else:
                    kind = Activity.ACTIVITY
                    detail = activity_texts[int(r() * len(activity_texts))]
                    status = Activity.PENDING if when > recent and r() < 0.6 else Activity.DONE
            moment = days[when // 1440] + times[when % 1440]
            notes = FOLLOW_UP_NOTES[int(r() * len(FOLLOW_UP_NOTES))] if status == Activity.DONE and r() < 0.4 else ""
            rows.append((first_id + j, moment, names[user], moment, names[user], 1, first_folio + j, kind, moment,
                         user, first_contact + contact, client_ids[contact_client[contact]], category, detail,
                         status, notes, due, assignee, source, created_order))
            if len(rows) >= BATCH_ROWS:
                yield (PROGRESS, STAGE_ACTIVITIES, j, n)
                yield (ROWS, ACTIVITY, rows)
                rows = []
        yield (ROWS, ACTIVITY, rows)
        self.counts["activities"] = n

    # -- service orders --

    def orders(self) -> Iterator[tuple]:
        # The hot loop of a large build: picks and time stamps are written out inline
        # (seq[int(r() * len(seq))] is what `pick` does) to spare a call per value.
        n = self.size.orders
        r = self.rng.random
        days, times, now = self.clock.days, self.clock.times, self.clock.now
        first_number, first_order = self.start.first_numbers[ORDER], self.first_order_id
        first_activity = self.first_activity_id
        priorities = ("normal",) * 12 + ("high",) * 4 + ("low",) * 2 + ("urgent",) * 2
        technicians, names, users = self.technicians, self.user_names, self.user_ids
        n_technicians, n_users = len(technicians), len(users)
        contact_count = len(self.contact_client)
        contact_client, client_ids, client_projects = self.contact_client, self.client_ids, self.client_projects
        category_pool = (self.start.order_categories[:1] * 5 + self.start.order_categories[1:3] * 2
                         + self.start.order_categories[3:])
        details, work_texts = self.order_details, self.work_texts
        order_moments, order_source = self.order_moments, self.order_source
        first_contact = self.first_contact_id
        ratings = (5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1)
        verify, reopen = OrderReview.VERIFY, OrderReview.REOPEN
        entry_id, review_id = self.start.first_ids[ENTRY], self.start.first_ids[REVIEW]
        entries: list[tuple] = []
        reviews: list[tuple] = []
        rows = []
        self.entry_count = self.review_count = 0
        for i in range(n):
            order_id = first_order + i
            created = order_moments[i]
            source = order_source.get(i)
            if source is not None:
                contact = self._order_contact(i)
                family, device, detail = details[i % 6000]
            else:
                contact = int((r() ** 1.5) * contact_count)
                family, device, detail = details[int(r() * len(details))]
            client = contact_client[contact]
            projects = client_projects.get(client)
            project = projects[int(r() * len(projects))] if projects and r() < 0.3 else None
            technician = technicians[int(r() * n_technicians)]
            technician_name = names[technician]
            work = work_texts[family]
            age, roll = now - created, r()
            if age < 3 * 1440:
                status = "open" if roll < 0.7 else "finished" if roll < 0.95 else "closed"
            elif age < 30 * 1440:
                status = "open" if roll < 0.25 else "finished" if roll < 0.6 else "closed"
            else:
                status = "open" if roll < 0.03 else "finished" if roll < 0.1 else "closed"
            appointment = min(created + 60 + int(r() * 3 * 1440), now + 7 * 1440) if r() < 0.8 else None
            moment = min(appointment or created + 30, now)
            creator = names[users[int(r() * n_users)]]
            last_user = creator
            finished_at = closed_at = rating = None
            comments = ""
            reopened = 0
            version = 1
            if status == "open":
                for _step in range(int(r() * 3)):
                    moment = min(moment + 20 + int(r() * 600), now)
                    text = work[int(r() * len(work))]
                    when = days[moment // 1440] + times[moment % 1440]
                    minutes = 15 + int(r() * 16) * 15 if r() < 0.9 else None
                    entries.append((entry_id, when, technician_name, when, technician_name, 1, order_id, when,
                                    technician, text, minutes, False))
                    entry_id += 1
                    last_user = technician_name
            else:
                rounds = 2 if r() < 0.07 else 1
                for round_ in range(rounds):
                    for _step in range(int(r() * 2.5)):
                        moment = min(moment + 20 + int(r() * 900), now)
                        text = work[int(r() * len(work))]
                        when = days[moment // 1440] + times[moment % 1440]
                        minutes = 15 + int(r() * 16) * 15 if r() < 0.9 else None
                        entries.append((entry_id, when, technician_name, when, technician_name, 1, order_id, when,
                                        technician, text, minutes, False))
                        entry_id += 1
                    moment = min(moment + 20 + int(r() * 600), now)
                    text = FINISHING_ENTRIES[int(r() * len(FINISHING_ENTRIES))]
                    when = days[moment // 1440] + times[moment % 1440]
                    entries.append((entry_id, when, technician_name, when, technician_name, 1, order_id, when,
                                    technician, text, 15 + int(r() * 16) * 15, True))
                    entry_id += 1
                    finished_at = moment
                    version += 1
                    if round_ + 1 < rounds:
                        moment = min(moment + 60 + int(r() * 2880), now)
                        action = verify if r() < 0.5 else reopen
                        reviewer = users[int(r() * n_users)]
                        text = REOPEN_COMMENTS[int(r() * len(REOPEN_COMMENTS))]
                        when = days[moment // 1440] + times[moment % 1440]
                        reviewer_name = names[reviewer]
                        reviews.append((review_id, when, reviewer_name, when, reviewer_name, 1, order_id, when,
                                        reviewer, action, text, False, None))
                        review_id += 1
                        reopened += 1
                        version += 1
                last_user = technician_name
                if status == "closed":
                    moment = min(moment + 30 + int(r() * 2880), now)
                    rating = ratings[int(r() * len(ratings))]
                    said = REVIEW_COMMENTS[rating]
                    comments = said[int(r() * len(said))]
                    reviewer = users[int(r() * n_users)]
                    when = days[moment // 1440] + times[moment % 1440]
                    last_user = names[reviewer]
                    reviews.append((review_id, when, last_user, when, last_user, 1, order_id, when, reviewer, verify,
                                    comments, True, rating))
                    review_id += 1
                    closed_at = when
                    version += 1
            equipment = (f"{_capitalised(device)}. {EQUIPMENT_NOTES[int(r() * len(EQUIPMENT_NOTES))]}"
                         if r() < 0.15 else "")
            created_stamp = days[created // 1440] + times[created % 1440]
            updated = moment if moment > created else created
            rows.append((order_id, created_stamp, creator, days[updated // 1440] + times[updated % 1440], last_user,
                         version, first_number + i, project, first_contact + contact, client_ids[client],
                         priorities[int(r() * 20)], technician if status != "open" or r() < 0.95 else None,
                         None if appointment is None else days[appointment // 1440] + times[appointment % 1440],
                         category_pool[int(r() * len(category_pool))], detail, equipment, status,
                         None if finished_at is None else days[finished_at // 1440] + times[finished_at % 1440],
                         closed_at, rating, comments, reopened,
                         None if source is None else first_activity + source))
            if len(rows) >= BATCH_ROWS:
                yield from self._order_batch(rows, entries, reviews, i, n)
                rows, entries, reviews = [], [], []
        yield from self._order_batch(rows, entries, reviews, n, n)
        self.counts.update(orders=n, service_entries=self.entry_count, order_reviews=self.review_count)

    def _order_batch(self, rows, entries, reviews, done, total) -> Iterator[tuple]:
        # Orders first: entries and reviews refer to them.
        yield (PROGRESS, STAGE_ORDERS, done, total)
        yield (ROWS, ORDER, rows)
        yield (ROWS, ENTRY, entries)
        yield (ROWS, REVIEW, reviews)
        self.entry_count += len(entries)
        self.review_count += len(reviews)

    # -- opportunities --

    def opportunities(self) -> Iterator[tuple]:
        n = self.size.opportunities
        r, pick = self.rng.random, self.pick
        clock = self.clock
        first_id, first_number = self.start.first_ids[OPPORTUNITY], self.start.first_numbers[OPPORTUNITY]
        event_id = self.start.first_ids[EVENT]
        moments = clock.sorted_moments(n)
        contact_count = len(self.contact_client)
        paths = {Opportunity.NEW: [], Opportunity.WAITING: [Opportunity.WAITING],
                 Opportunity.WORKING: [Opportunity.WAITING, Opportunity.WORKING],
                 Opportunity.CLOSED: [Opportunity.WORKING, Opportunity.CLOSED],
                 Opportunity.LOST: [Opportunity.WAITING, Opportunity.LOST]}
        rows, events = [], []
        event_count = 0
        for k in range(n):
            opportunity_id = first_id + k
            # The newest five cover every status; the rest follow their age.
            status = Opportunity.STATUSES[k % 5] if k >= n - 5 else self._opportunity_status(moments[k], r)
            contact = int(r() * contact_count)
            agent = pick(self.user_ids)
            name = self.user_names[agent]
            moment = moments[k]
            history = [("", Opportunity.NEW, "", None, "", "", "")]
            path = paths[status]
            if status == Opportunity.WORKING and r() < 0.5:
                path = [Opportunity.WORKING]
            next_contact, invoice, why, improve = None, "", "", ""
            previous = Opportunity.NEW
            for target in path:
                day = moment // 1440
                next_contact, invoice, why, improve = None, "", "", ""
                comment = pick(WAITING_COMMENTS if target == Opportunity.WAITING else WORKING_COMMENTS)
                if target in (Opportunity.WAITING, Opportunity.WORKING):
                    # The current one lies ahead of today; the ones in the history were kept.
                    ahead = max(day, clock.today) if target == status else day
                    next_contact = clock.days[ahead + 1 + int(r() * 20)]
                elif target == Opportunity.CLOSED:
                    invoice = f"F-{2020 + int(r() * 6)}-{10000 + int(r() * 89999)}"
                    comment = "Se firmó el pedido y se facturó."
                else:
                    why, improve = pick(LOST_REASONS), pick(TO_IMPROVE)
                    comment = why
                history.append((previous, target, comment, next_contact, invoice, why, improve))
                previous = target
            stamps = []
            for index, event in enumerate(history):
                if index:
                    moment = min(moment + 1440 + int(r() * 20 * 1440), clock.now)
                when = clock.stamp(moment)
                stamps.append(when)
                events.append((event_id, when, name, when, name, 1, opportunity_id, when, agent, *event))
                event_id += 1
            product = pick(PRODUCTS)
            rows.append((opportunity_id, stamps[0], name, stamps[-1], name, len(history), first_number + k,
                         self.first_contact_id + contact, self.client_ids[self.contact_client[contact]],
                         pick(self.start.opportunity_types), agent, pick(SUBJECTS).format(product=product),
                         f"{self.contact_names[contact]} busca {product}.", pick(FOUND_US_BY), status,
                         next_contact, invoice, why, improve))
            if len(rows) >= BATCH_ROWS:
                yield (PROGRESS, STAGE_OPPORTUNITIES, k, n)
                yield (ROWS, OPPORTUNITY, rows)
                yield (ROWS, EVENT, events)
                event_count += len(events)
                rows, events = [], []
        yield (ROWS, OPPORTUNITY, rows)
        yield (ROWS, EVENT, events)
        self.counts.update(opportunities=n, opportunity_events=event_count + len(events))

    def _opportunity_status(self, moment: int, r) -> str:
        roll = r()
        if self.clock.now - moment < 60 * 1440:
            limits = (0.3, 0.55, 0.8, 0.9)
        else:
            limits = (0.03, 0.08, 0.13, 0.6)
        for status, limit in zip(Opportunity.STATUSES, limits):
            if roll < limit:
                return status
        return Opportunity.LOST


# --- the generator in a second process ----------------------------------------------

# Batches cross to the parent as marshal bytes: plain tuples of str, int, None and bool
# are all they hold, and marshal packs and unpacks them faster than pickle does. Each
# frame on the pipe is its length (8 bytes) and then the bytes.
_MARSHAL_VERSION = 4
_FRAME_LENGTH = struct.Struct("<Q")
_END, _ERROR = "end", "error"
_PIPE_BYTES = 1 << 20  # Linux lets a pipe hold this much: the generator runs ahead a little
_F_SETPIPE_SZ = 1031
_PR_SET_PDEATHSIG = 1


@contextmanager
def _generated_batches(start: _Start, in_child: bool) -> Iterator[Iterable[tuple]]:
    """The generator's items, made in a forked child while this process writes them (the
    child is ended when the block is left, however it is left), or here."""
    if not in_child:
        yield _Generator(start).batches()
        return
    parent = os.getpid()
    read_end, write_end = os.pipe()
    _widen_pipe(write_end)
    child = os.fork()
    if child == 0:
        os.close(read_end)
        _run_child(start, write_end, parent)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as frames:
            yield _frames(frames)
    finally:
        _end_child(child)


def _widen_pipe(fd: int) -> None:
    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:  # not Linux, or a lower limit: the default size works, a little slower
        pass


def _frames(frames) -> Iterator[tuple]:
    while True:
        header = frames.read(_FRAME_LENGTH.size)
        body = frames.read(_FRAME_LENGTH.unpack(header)[0]) if len(header) == _FRAME_LENGTH.size else b""
        if not body:
            raise RuntimeError(_("The sample data generator stopped before it finished."))
        item = marshal.loads(body)
        if item[0] == _END:
            return
        if item[0] == _ERROR:
            raise RuntimeError(item[1])
        yield item


def _end_child(child: int) -> None:
    try:
        os.kill(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(child, 0)


def _run_child(start: _Start, write_end: int, parent: int) -> NoReturn:
    """The forked child: generate every batch into the pipe, then leave without running
    anything of the parent's (no atexit, no flushing of its buffers)."""
    code = 1
    try:
        _detach_from_caller(write_end, parent)
        with os.fdopen(write_end, "wb", buffering=_PIPE_BYTES) as pipe:
            try:
                for item in _Generator(start).batches():
                    _write_frame(pipe, item)
                _write_frame(pipe, (_END,))
            except BrokenPipeError:
                raise
            except BaseException:  # the parent shows it; a child has nobody else to tell
                _write_frame(pipe, (_ERROR, traceback.format_exc()))
        code = 0
    finally:
        os._exit(code)


def _write_frame(pipe, item: tuple) -> None:
    body = marshal.dumps(item, _MARSHAL_VERSION)
    pipe.write(_FRAME_LENGTH.pack(len(body)))
    pipe.write(body)


def _detach_from_caller(keep: int, parent: int) -> None:
    """Hold nothing of the caller's: `crm demo | tee log` and `$(crm demo)` must end when
    crm does, so the standard streams go to /dev/null and every other inherited
    descriptor (the caller's pipes, the database file) is closed. Die with the parent:
    at once where the kernel offers it (Linux), else at the next write into the pipe
    whose reader is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's: it ends the child
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in _open_descriptors():
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:  # the one that listed them, already closed
                pass


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the closed pipe ends the child
        pass


def _open_descriptors() -> list[int]:
    """This process's open descriptors; where they cannot be listed, every possible one
    up to a bound (the limit may be huge, and closing each number costs a system call)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(folder)]
        except OSError:
            continue
    try:
        highest = os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        highest = 1024
    return list(range(min(highest, 65536)))


# --- writing -------------------------------------------------------------------------


def _insert_sql(table: str) -> str:
    model, columns = TABLES[table]
    names = ", ".join(f'"{model._meta.fields[c].column_name}"' for c in columns)
    marks = ", ".join([database.param] * len(columns))
    return f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ({marks})'


def _first_free(model: type[pw.Model], field: pw.Field) -> int:
    return (model.select(pw.fn.COALESCE(pw.fn.MAX(field), 0)).scalar() or 0) + 1


def _write_users(size: DemoSize, clock_day: str) -> tuple[tuple[tuple[int, str, str], ...], int]:
    """Technicians named like their OS login (jlopez); the first is an admin if there is none."""
    rng = random.Random(size.seed)
    existing = {u.username: u for u in User.select()}
    has_admin = any(u.role == User.ADMIN and u.active for u in existing.values())
    users: list[tuple[int, str, str]] = []
    written = 0
    for _attempt in range(size.users * 20):
        if len(users) >= size.users:
            break
        first, surname, second = (rng.choice(FIRST_NAMES), rng.choice(SURNAMES), rng.choice(SURNAMES))
        username = fold(first[0] + surname).replace(" ", "")
        if any(username == u[1] for u in users):
            continue
        if username in existing:
            user = existing[username]
            users.append((user.id, user.username, user.role))
            continue
        role = User.AGENT if has_admin else User.ADMIN
        has_admin = True
        user_id = User.insert(username=username, full_name=f"{first} {surname} {second}", role=role, active=True,
                              created_at=clock_day, updated_at=clock_day, created_by=DEMO_AUTHOR,
                              updated_by=DEMO_AUTHOR).execute()
        users.append((user_id, username, role))
        written += 1
    return tuple(users), written


def _write_named(model: type[pw.Model], names: Sequence[str], moment: str) -> tuple[dict[str, int], int]:
    """Rows of a catalog with unique folded names; ones already there are reused."""
    existing = {row.name_folded: row.id for row in model.select(model.id, model.name_folded)}
    ids: dict[str, int] = {}
    written = 0
    for name in names:
        folded = fold(name)
        if folded not in existing:
            existing[folded] = model.insert(name=name, name_folded=folded, active=True, created_at=moment,
                                            updated_at=moment, created_by=DEMO_AUTHOR,
                                            updated_by=DEMO_AUTHOR).execute()
            written += 1
        ids[name] = existing[folded]
    return ids, written


def _prepare(size: DemoSize, report: Callable[[str, int, int], None]) -> tuple[_Start, dict[str, int]]:
    """Write the small catalogs and read where the generated rows start."""
    moment = clock.now()
    first_day = (moment.date() - dt.timedelta(days=365 * YEARS_OF_HISTORY)).isoformat() + " 09:00:00"
    report(STAGE_USERS, 0, size.users)
    users, user_count = _write_users(size, first_day)
    report(STAGE_CATALOGS, 0, 1)
    categories, category_count = _write_named(Category, ORDER_CATEGORIES + ACTIVITY_ONLY_CATEGORIES, first_day)
    types, type_count = _write_named(OpportunityType, OPPORTUNITY_TYPES, first_day)
    start = _Start(
        size=size,
        users=users,
        order_categories=tuple(categories[n] for n in ORDER_CATEGORIES),
        activity_categories=tuple([categories[n] for n in ACTIVITY_ONLY_CATEGORIES]
                                  + [categories[n] for n in ORDER_CATEGORIES[:2]]),
        call_category=categories[CALL_CATEGORY],
        opportunity_types=tuple(types.values()),
        first_ids={table: _first_free(model, model.id) for table, (model, _c) in TABLES.items()},
        first_numbers={table: _first_free(field.model, field) for table, field in NUMBERED.items()},
        today=moment.date(),
    )
    return start, {"users": user_count, "categories": category_count, "opportunity_types": type_count}


_BULK_MODELS = (Contact, Activity, ServiceOrder, ServiceEntry, OrderReview, Opportunity, OpportunityEvent)
BULK_CACHE_KIB = 512_000
BULK_SORT_THREADS = 4


def _secondary_indexes(model: type[pw.Model]) -> list[str]:
    return [index._name for index in model._meta.fields_to_index() if not index._unique]


def _drop_secondary_indexes() -> None:
    for model in _BULK_MODELS:
        for name in _secondary_indexes(model):
            database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def _create_secondary_indexes(report: Callable[[str, int, int], None]) -> None:
    for done, model in enumerate(_BULK_MODELS):
        report(STAGE_INDEXES, done, len(_BULK_MODELS))
        # Exactly the indexes models.py declares (IF NOT EXISTS keeps the unique ones).
        model._schema.create_indexes(safe=True)


@contextmanager
def _bulk_session(bulk: bool) -> Iterator[None]:
    """On SQLite, a big page cache and no per-row foreign-key look-ups while loading rows
    that are consistent by construction; each setting belongs to this connection and is
    restored afterwards.

    When no other connection has the file open, the load also leaves WAL for a rollback
    journal on disk, synced in full: the new rows go straight into the file, written
    once, instead of into the WAL and again by a checkpoint. Only the few pages the file
    already had are copied to the journal (pages added at its end need no copy), so a
    kill or an outage at any moment rolls the file back to what it was when the next
    connection opens it. Journal and sync are never turned off: the file may hold real
    records. With others connected the load goes through WAL, just as safely.
    """
    if not (bulk and is_sqlite()):
        yield
        return
    cache = database.execute_sql("PRAGMA cache_size").fetchone()[0]
    synchronous = database.execute_sql("PRAGMA synchronous").fetchone()[0]
    journal = database.execute_sql("PRAGMA journal_mode").fetchone()[0]
    threads = database.execute_sql("PRAGMA threads").fetchone()[0]
    database.execute_sql("PRAGMA foreign_keys = OFF")
    database.execute_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    # The indexes rebuilt at the end are sorted by SQLite's helper threads, one per core.
    database.execute_sql(f"PRAGMA threads = {min(os.cpu_count() or 1, BULK_SORT_THREADS)}")
    if _set_journal_mode("delete") == "delete":
        database.execute_sql("PRAGMA synchronous = FULL")
    try:
        yield
    finally:
        _set_journal_mode(journal)
        database.execute_sql(f"PRAGMA synchronous = {int(synchronous)}")
        database.execute_sql(f"PRAGMA cache_size = {int(cache)}")
        database.execute_sql(f"PRAGMA threads = {int(threads)}")
        database.execute_sql("PRAGMA foreign_keys = ON")


def _set_journal_mode(mode: str) -> str:
    """Switch the journal mode if nobody else is using the file; returns the mode now in force."""
    try:
        return database.execute_sql(f"PRAGMA journal_mode = {mode}").fetchone()[0]
    except pw.OperationalError:  # another connection holds the database: keep its mode
        return database.execute_sql("PRAGMA journal_mode").fetchone()[0]


# --- what the database already holds -------------------------------------------------

# Every kind of record but users: a database whose only records are its users (added
# with `crm user add` to prepare it) holds no business data yet and may take the demo.
_BUSINESS_RECORDS = (
    (Client, N_("clients")), (Contact, N_("contacts")), (Category, N_("categories")), (Project, N_("projects")),
    (Activity, N_("activities")), (ServiceOrder, N_("service orders")), (ServiceEntry, N_("service entries")),
    (OrderReview, N_("order reviews")), (OpportunityType, N_("opportunity types")),
    (Opportunity, N_("opportunities")), (OpportunityEvent, N_("opportunity events")),
)


def business_records() -> dict[str, int]:
    """How many records of each kind but users the database holds, by (untranslated) label."""
    return {label: model.select().count() for model, label in _BUSINESS_RECORDS if model.select().exists()}


def _refuse_a_database_in_use() -> None:
    held = business_records()
    if held:
        listed = ", ".join(f"{_(label)}: {count}" for label, count in held.items())
        raise ConflictError(
            _("The database already holds records ({records}): sample data goes only into a database "
              "whose only records are its users (force it to add the data anyway).").format(records=listed))


# What happened to the person who ran the demo (see `fill_demo`).
OPERATOR_ADDED = "added"  # registered as the administrator of a database without users
OPERATOR_KNOWN = "known"  # already a user
OPERATOR_LEFT_OUT = "left out"  # the database has users, and this person is not one


def _register_operator(login: str | None) -> str:
    """A new database gets the person running the demo as its administrator (as the
    first sign-in would), so they can open what they filled. Where there are users
    already, nobody gets rights from running the demo."""
    if not login:
        return ""
    if users.database_has_users():
        return OPERATOR_KNOWN if User.select().where(User.username == login).exists() else OPERATOR_LEFT_OUT
    try:
        users.bootstrap_first_admin(login)
    except ValidationError:  # not a name the CRM accepts for a user
        return OPERATOR_LEFT_OUT
    return OPERATOR_ADDED


# --- filling ---------------------------------------------------------------------------


def _write_batches(batches: Iterable[tuple], report: Progress, counts: dict[str, int]) -> None:
    statements = {table: _insert_sql(table) for table in TABLES}
    for item in batches:
        if item[0] == ROWS:
            if item[2]:
                database.cursor().executemany(statements[item[1]], item[2])
        elif item[0] == PROGRESS:
            report(item[1], item[2], item[3])
        elif item[0] == COUNTS:
            counts.update(item[1])


def _forking_helps(bulk: bool) -> bool:
    return bulk and is_sqlite() and (os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def fill_demo(size: DemoSize = DemoSize(), progress: Progress | None = None, force: bool = False,
              operator: str | None = None) -> DemoSummary:
    """Write realistic sample data of `size` and return how many records were written.

    Refuses a database that holds records other than users unless `force` is true. The
    `operator` (the login running the demo) becomes the administrator of a database
    without users. Everything is one transaction: a failure or a kill at any moment
    leaves the database as it was. Large sizes load without the search triggers and
    secondary indexes and rebuild them before committing, generating the rows in a
    second process while this one writes them.
    """
    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(_(stage), done, total)

    bulk = max(size.orders, size.activities, size.contacts) >= BULK_THRESHOLD
    with _bulk_session(bulk), write_transaction():
        if not force:
            _refuse_a_database_in_use()
        operator_status = _register_operator(operator)
        start, counts = _prepare(size, report)
        if bulk:
            search.drop_sync(database)
            _drop_secondary_indexes()
        with _generated_batches(start, _forking_helps(bulk)) as batches:
            _write_batches(batches, report, counts)
        if bulk:
            _create_secondary_indexes(report)
            report(STAGE_SEARCH, 0, 1)
            search.install(database)
        counters.catch_up_all()
        if is_postgres():
            catch_up_id_sequences()
    report(STAGE_SEARCH, 1, 1)
    return DemoSummary(**counts, operator=operator_status)
