"""Contacts as address books write them: vCard files (versions 3.0 and 4.0) and the CSV
files of Google Contacts and Outlook, each turned into a contact row keyed like
catalogs.CONTACT_COLUMNS (name, client_name, job_title, phone, mobile, email, address,
notes). What has no field of its own (a department, a second e-mail, a birthday) is
kept at the end of the notes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from crm_tui.db.text import fold
from crm_tui.i18n import _

# Google writes several values in one cell separated by this.
GOOGLE_SEPARATOR = " ::: "

_NUMBERED = re.compile(r"^(?P<what>e-mail|phone|address|website|organization) (?P<number>\d+) - (?P<part>.+)$")

# Columns that only an address book writes: their presence tells its CSV from crm export's.
_ADDRESS_BOOK_COLUMNS = {
    "first name", "given name", "last name", "family name", "middle name", "organization name",
    "company", "e-mail address", "mobile phone", "business phone", "home phone",
}

_NAME_PARTS = (("first name", "given name"), ("middle name", "additional name"),
               ("last name", "family name"), ("name suffix", "suffix"))

# Outlook's phone columns, the one to take as the contact's phone first.
_OUTLOOK_PHONES = ("Primary Phone", "Business Phone", "Company Main Phone", "Business Phone 2",
                   "Mobile Phone", "Home Phone", "Home Phone 2", "Other Phone", "Car Phone",
                   "Assistant's Phone", "Callback", "Radio Phone", "Pager", "ISDN", "Telex",
                   "TTY/TDD Phone", "Business Fax", "Home Fax", "Other Fax")
_OUTLOOK_EMAILS = ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address")
_OUTLOOK_ADDRESSES = ("Business", "Home", "Other")
_OUTLOOK_WEB_PAGES = ("Web Page", "Personal Web Page")
_OUTLOOK_EMPTY_DATE = "0/0/00"

# vCard TYPE values that say nothing a person would use as a label.
_GENERIC_TYPES = {"voice", "pref", "internet", "x400", "text", "video", "msg"}
_MOBILE_WORDS = ("mobile", "cell", "movil", "celular")


@dataclass
class Entry:
    """One phone, e-mail, address or web page, with the label its address book gave it."""

    value: str
    label: str = ""
    mobile: bool = False
    preferred: bool = False


@dataclass
class Card:
    """What an address book holds of one person, before it becomes a contact row."""

    name: str = ""
    fallback_names: list[str] = field(default_factory=list)
    organization: str = ""
    department: str = ""
    title: str = ""
    notes: str = ""
    birthday: str = ""
    phones: list[Entry] = field(default_factory=list)
    emails: list[Entry] = field(default_factory=list)
    addresses: list[Entry] = field(default_factory=list)
    websites: list[Entry] = field(default_factory=list)

    def contact_values(self) -> dict[str, str]:
        phones = _preferred_first(self.phones)
        emails = _preferred_first(self.emails)
        addresses = _preferred_first(self.addresses)
        phone = next((entry for entry in phones if not entry.mobile), None)
        mobile = next((entry for entry in phones if entry.mobile), None)
        email = emails[0] if emails else None
        address = addresses[0] if addresses else None
        extras = []
        if self.department:
            extras.append(_("Department: {value}").format(value=self.department))
        if self.birthday:
            extras.append(_("Birthday: {value}").format(value=self.birthday))
        extras += [_extra(_("E-mail"), entry) for entry in emails if entry is not email]
        extras += [_extra(_("Phone"), entry) for entry in phones if entry not in (phone, mobile)]
        extras += [_extra(_("Address"), entry) for entry in addresses if entry is not address]
        extras += [_extra(_("Website"), entry) for entry in self.websites]
        names = [self.name, *self.fallback_names, self.organization, email.value if email else ""]
        return {
            "name": next((name for name in names if name.strip()), ""),
            "client_name": self.organization,
            "job_title": self.title,
            "phone": phone.value if phone else "",
            "mobile": mobile.value if mobile else "",
            "email": email.value if email else "",
            "address": address.value if address else "",
            "notes": "\n".join(part for part in (self.notes.strip(), *extras) if part),
        }


def _preferred_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda entry: not entry.preferred)


def _extra(kind: str, entry: Entry) -> str:
    value = ", ".join(line.strip() for line in entry.value.splitlines() if line.strip())
    if entry.label:
        return _("{kind} ({label}): {value}").format(kind=kind, label=entry.label, value=value)
    return _("{kind}: {value}").format(kind=kind, value=value)


def format_address(box: str = "", extended: str = "", street: str = "", city: str = "", region: str = "",
                   code: str = "", country: str = "") -> str:
    """An address as it is written on an envelope, one part a line."""
    place = " ".join(part for part in (region.strip(), code.strip()) if part)
    city_line = ", ".join(part for part in (city.strip(), place) if part)
    lines = [box, extended, *street.splitlines(), city_line, country]
    return "\n".join(line.strip() for line in lines if line and line.strip())


def _label(text: str) -> str:
    """Google marks the main value with "* "; its own labels read as they are."""
    return text.strip().lstrip("*").strip()


def _is_mobile(label: str) -> bool:
    folded = fold(label)
    return any(word in folded for word in _MOBILE_WORDS)


# --- CSV (Google Contacts, Outlook) -----------------------------------------------------


def is_address_book_header(cells: Sequence[str]) -> bool:
    """Whether a CSV's first row is the one Google Contacts or Outlook writes."""
    names = [fold(cell.strip()) for cell in cells]
    return any(name in _ADDRESS_BOOK_COLUMNS or _NUMBERED.match(name) for name in names)


class AddressBookColumns:
    """Reads the rows of a Google Contacts or Outlook CSV through its first row."""

    def __init__(self, header: Sequence[str]) -> None:
        self.positions: dict[str, int] = {}
        for position, cell in enumerate(header):
            self.positions.setdefault(fold(cell.strip()), position)
        self.numbered: dict[tuple[str, int], dict[str, int]] = {}
        for name, position in self.positions.items():
            found = _NUMBERED.match(name)
            if found:
                group = self.numbered.setdefault((found["what"], int(found["number"])), {})
                group[found["part"]] = position

    def contact_values(self, cells: Sequence[str]) -> dict[str, str]:
        return self.card(cells).contact_values()

    def card(self, cells: Sequence[str]) -> Card:
        row = _Row(self, cells)
        card = Card(name=row.full_name(), fallback_names=[row.get("nickname"), row.get("file as")],
                    organization=row.first("organization name", "company") or row.numbered_value("organization", "name"),
                    department=row.first("organization department", "department")
                    or row.numbered_value("organization", "department"),
                    title=row.first("organization title", "job title") or row.numbered_value("organization", "title"),
                    notes=row.get("notes"), birthday=row.birthday())
        card.emails = row.numbered_entries("e-mail") + row.columns(_OUTLOOK_EMAILS, labelled=False)
        card.phones = row.numbered_entries("phone") + row.columns(_OUTLOOK_PHONES, labelled=True)
        card.addresses = row.numbered_addresses() + row.outlook_addresses()
        card.websites = row.numbered_entries("website") + row.columns(_OUTLOOK_WEB_PAGES, labelled=False)
        return card


class _Row:
    def __init__(self, columns: AddressBookColumns, cells: Sequence[str]) -> None:
        self.columns_of = columns
        self.cells = cells

    def _at(self, position: int | None) -> str:
        if position is None or position >= len(self.cells):
            return ""
        return (self.cells[position] or "").strip()

    def get(self, name: str) -> str:
        return self._at(self.columns_of.positions.get(fold(name)))

    def first(self, *names: str) -> str:
        return next((value for value in map(self.get, names) if value), "")

    def full_name(self) -> str:
        whole = self.get("name")
        if whole:
            return whole
        parts = [self.first(*choices) for choices in _NAME_PARTS]
        return " ".join(part for part in parts if part)

    def birthday(self) -> str:
        value = self.get("birthday")
        return "" if value == _OUTLOOK_EMPTY_DATE else value

    def numbered_value(self, what: str, part: str) -> str:
        group = self.columns_of.numbered.get((what, 1), {})
        return self._at(group.get(part))

    def _groups(self, what: str) -> Iterator[dict[str, int]]:
        for (kind, _number), group in sorted(self.columns_of.numbered.items()):
            if kind == what:
                yield group

    def numbered_entries(self, what: str) -> list[Entry]:
        entries = []
        for group in self._groups(what):
            raw_label = self._at(group.get("label", group.get("type")))
            label = _label(raw_label)
            for value in self._at(group.get("value")).split(GOOGLE_SEPARATOR):
                if value.strip():
                    entries.append(Entry(value.strip(), label, mobile=_is_mobile(label),
                                         preferred=raw_label.startswith("*")))
        return entries

    def numbered_addresses(self) -> list[Entry]:
        entries = []
        for group in self._groups("address"):
            value = self._at(group.get("formatted")) or format_address(
                self._at(group.get("po box")), self._at(group.get("extended address")),
                self._at(group.get("street")), self._at(group.get("city")), self._at(group.get("region")),
                self._at(group.get("postal code")), self._at(group.get("country")))
            raw_label = self._at(group.get("label", group.get("type")))
            if value:
                entries.append(Entry(value, _label(raw_label), preferred=raw_label.startswith("*")))
        return entries

    def columns(self, names: Sequence[str], labelled: bool) -> list[Entry]:
        entries = []
        for name in names:
            value = self.get(name)
            if value:
                label = name.replace(" Phone", "") if labelled else ""
                entries.append(Entry(value, label, mobile=name == "Mobile Phone"))
        return entries

    def outlook_addresses(self) -> list[Entry]:
        entries = []
        for place in _OUTLOOK_ADDRESSES:
            street = "\n".join(self.get(f"{place} Street{suffix}") for suffix in ("", " 2", " 3"))
            value = format_address(self.get(f"{place} Address PO Box"), "", street, self.get(f"{place} City"),
                                   self.get(f"{place} State"), self.get(f"{place} Postal Code"),
                                   self.first(f"{place} Country/Region", f"{place} Country"))
            if value:
                entries.append(Entry(value, place))
        return entries


# --- vCard ---------------------------------------------------------------------------


class CardError(Exception):
    """A vCard that cannot be read; the message is one line for the user."""


def split_vcards(text: str) -> Iterator[tuple[int, str]]:
    """(line where it begins, its text) for every BEGIN:VCARD ... END:VCARD of a file."""
    start, lines, depth = 0, [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        marker = line.strip().upper()
        if marker == "BEGIN:VCARD":
            if depth == 0:
                start, lines = number, []
            depth += 1
        if depth:
            lines.append(line)
        if marker == "END:VCARD" and depth:
            depth -= 1
            if depth == 0:
                yield start, "\r\n".join(lines) + "\r\n"
    if depth:
        yield start, ""  # no END:VCARD before the end of the file


def card_from_vcard(text: str) -> Card:
    """Read one vCard (3.0 or 4.0); raises CardError for one that cannot be read."""
    import vobject

    if not text:
        raise CardError(_("this vCard has no END:VCARD"))
    try:
        component = vobject.readOne(text)
    except Exception as exc:  # vobject raises several kinds for a broken card
        detail = re.sub(r"^At line \d+: ", "", str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        raise CardError(_("this vCard cannot be read: {detail}").format(detail=detail or exc.__class__.__name__)) \
            from exc
    card = Card()
    for line in component.getChildren():
        _read_property(card, line.name.upper(), line)
    return card


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(_text(part) for part in value if _text(part))
    return str(value or "").strip()


def _types(line) -> list[str]:
    types = []
    for value in line.params.get("TYPE", []):
        types += [part.strip().lower() for part in str(value).split(",") if part.strip()]
    return types


def _entry(line, value: str) -> Entry:
    types = _types(line)
    label = next((kind for kind in types if kind not in _GENERIC_TYPES), "")
    preferred = "pref" in types or bool(line.params.get("PREF"))
    mobile = any(kind in ("cell", "mobile") for kind in types)
    return Entry(value, label.capitalize(), mobile=mobile, preferred=preferred)


def _phone(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    return text.replace(";ext=", " ext. ")


def _read_property(card: Card, name: str, line) -> None:
    value = line.value
    if name == "FN":
        card.name = _text(value)
    elif name == "N" and not card.name:
        parts = [_text(getattr(value, part, "")) for part in ("given", "additional", "family", "suffix")]
        card.fallback_names.append(" ".join(part for part in parts if part))
    elif name == "NICKNAME":
        card.fallback_names.append(_text(value))
    elif name == "ORG":
        units = [_text(unit) for unit in (value if isinstance(value, (list, tuple)) else [value])]
        card.organization = units[0] if units else ""
        card.department = ", ".join(unit for unit in units[1:] if unit)
    elif name == "TITLE" or (name == "ROLE" and not card.title):
        card.title = _text(value)
    elif name == "NOTE":
        card.notes = "\n".join(part for part in (card.notes, str(value or "").strip()) if part)
    elif name == "BDAY":
        card.birthday = _text(value)
    elif name == "TEL" and _text(value):
        card.phones.append(_entry(line, _phone(_text(value))))
    elif name == "EMAIL" and _text(value):
        card.emails.append(_entry(line, _text(value)))
    elif name == "URL" and _text(value):
        card.websites.append(_entry(line, _text(value)))
    elif name == "ADR":
        address = format_address(*(_text(getattr(value, part, "")) for part in
                                   ("box", "extended", "street", "city", "region", "code", "country")))
        if address:
            card.addresses.append(_entry(line, address))
