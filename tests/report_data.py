"""A small data set for the reports, with figures a person can count by hand.

The clock is 10/03/2026 10:00. Two technicians and agents (Ana Ruiz, Beto Luna), two
clients, six service orders, five service entries, five activities (two pending tasks,
one overdue) and five opportunities.
"""
from __future__ import annotations

import datetime as dt

from crm_tui.db.models import (
    Activity,
    Category,
    Client,
    Contact,
    Opportunity,
    OpportunityType,
    Project,
    ServiceEntry,
    ServiceOrder,
    User,
)

NOW = dt.datetime(2026, 3, 10, 10, 0)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def stamp(when: dt.datetime = NOW) -> dict:
    return {"created_at": when, "updated_at": when, "created_by": "test", "updated_by": "test"}


def fill() -> dict:
    ana = User.create(username="ana", full_name="Ana Ruiz", role="agent", **stamp())
    beto = User.create(username="beto", full_name="Beto Luna", role="agent", **stamp())
    centro = Client.create(key=1, name="Ferretería Centro", name_folded="ferreteria centro",
                           address="Av. Juárez 10, Centro", **stamp())
    sol = Client.create(key=2, name="Hotel Sol", name_folded="hotel sol", address="Playa 5", **stamp())
    diaz = Contact.create(key=1, client=centro, name="Ana Díaz", name_folded="ana diaz", phone="55 1234 5678",
                          address="Bodega 3; pasillo, norte", **stamp())
    mora = Contact.create(key=2, client=sol, name="Luis Mora", name_folded="luis mora", mobile="55 8765 4321",
                          **stamp())
    call = Category.create(name="Llamada", name_folded="llamada", **stamp())
    visit = Category.create(name="Visita", name_folded="visita", **stamp())
    cameras = Project.create(key=1, client=centro, name="Cámaras", name_folded="camaras", **stamp())

    activities = [
        (ana, call, "activity", "done", "2026-03-02 09:00", diaz, None, None),
        (ana, call, "activity", "pending", "2026-03-03 09:00", diaz, None, None),
        (ana, visit, "task", "pending", "2026-03-01 12:00", mora, dt.date(2026, 3, 5), ana),
        (beto, call, "task", "pending", "2026-03-04 12:00", diaz, dt.date(2026, 3, 12), beto),
        (beto, visit, "activity", "done", "2026-03-04 13:00", mora, None, None),
    ]
    for folio, (user, category, kind, status, when, contact, due, assignee) in enumerate(activities, 1):
        Activity.create(folio=folio, kind=kind, when=at(when), user=user, contact=contact, client=contact.client,
                        category=category, status=status, due_date=due, assignee=assignee,
                        detail=f"Actividad {folio}", **stamp(at(when)))

    orders = [
        # number, contact, project, technician, status, created, closed, rating, comments, reopened, appointment
        (1, diaz, cameras, ana, "closed", "2026-03-01 09:00", "2026-03-04 12:00", 5, "Muy bien", 0, None),
        (2, diaz, cameras, ana, "closed", "2026-03-02 09:00", "2026-03-06 12:00", 3, "", 1, None),
        (3, mora, None, beto, "closed", "2026-03-03 09:00", "2026-03-05 12:00", 4, "=1+1 rápido", 0, None),
        (4, mora, None, beto, "open", "2026-03-08 09:00", None, None, "", 2, "2026-03-10 11:00"),
        (5, diaz, None, ana, "finished", "2026-03-09 09:00", None, None, "", 0, "2026-03-10 09:30"),
        (6, diaz, cameras, ana, "open", "2026-03-10 08:00", None, None, "", 0, "2026-03-11 10:00"),
    ]
    by_number = {}
    for number, contact, project, technician, status, created, closed, rating, comments, reopened, visit_at in orders:
        by_number[number] = ServiceOrder.create(
            number=number, contact=contact, client=contact.client, project=project, assigned_user=technician,
            category=visit, status=status, closed_at=at(closed) if closed else None, rating=rating,
            finished_at=at(closed) - dt.timedelta(days=1) if closed else None,
            customer_comments=comments, times_reopened=reopened,
            appointment_at=at(visit_at) if visit_at else None,
            detail="Cámara; pasillo, norte\nrevisar [bold]DVR[/]" if number == 5 else f"Orden {number}",
            **stamp(at(created)))
    entries = [(1, ana, "2026-03-03 10:00", 60), (1, ana, "2026-03-03 15:00", 30), (2, ana, "2026-03-04 09:00", 45),
               (3, beto, "2026-03-04 11:00", None), (5, ana, "2026-03-09 16:00", 20)]
    for number, user, when, minutes in entries:
        ServiceEntry.create(order=by_number[number], user=user, when=at(when), minutes=minutes,
                            work_done=f"Trabajo en {number}", **stamp(at(when)))

    sale = OpportunityType.create(name="Venta", name_folded="venta", **stamp())
    opportunities = [
        (1, ana, "new", "Google", "", ""),
        (2, ana, "lost", "google ", "Precio alto", "Ofrecer plan anual"),
        (3, ana, "closed", "Recomendación", "", ""),
        (4, beto, "working", "Google", "", ""),
        (5, beto, "lost", "", "Se fue con otro", "Responder antes"),
    ]
    for number, agent, status, found, why, improve in opportunities:
        contact = diaz if number % 2 else mora
        Opportunity.create(number=number, contact=contact, client=contact.client, type=sale, agent=agent,
                           subject=f"Oportunidad {number}", status=status, found_us_by=found, why_lost=why,
                           to_improve=improve, **stamp(at(f"2026-03-0{number} 10:00")))
    return {"ana": ana, "beto": beto, "centro": centro, "sol": sol, "diaz": diaz, "cameras": cameras}
