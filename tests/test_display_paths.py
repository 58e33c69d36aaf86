"""Every way the screens put text on the terminal goes through widgets/safe.py.

Read from the source: a new Static, Label, Button, table cell, notification, title or
text field that takes text some other way fails here, naming the file and line, before
a stored name with an escape sequence can reach a user's terminal.
"""
from __future__ import annotations

import ast
from pathlib import Path

import crm_tui

PACKAGE = Path(crm_tui.__file__).resolve().parent
# The safe kinds themselves (SafeTextArea has a module of its own, loaded on first use).
SAFE_MODULES = (PACKAGE / "widgets" / "safe.py", PACKAGE / "widgets" / "safe_text_area.py")
# Widgets that show the text given first (a label, a title, a cell).
TEXT_WIDGETS = {"Static", "Label", "Button", "Checkbox", "RadioButton", "Option", "Tab", "TabPane", "Link",
                "Markdown", "Digits", "Collapsible"}
# Fields that write their value raw to the terminal: widgets/safe.py has the safe kinds.
RAW_FIELDS = {"Input", "TextArea", "MaskedInput"}
SHOWN_ATTRIBUTES = {"border_title", "border_subtitle", "tooltip", "title", "sub_title", "description"}
SAFE_FUNCTIONS = {"plain", "plain_parts", "cell", "clean_display", "shorten"}
TRANSLATIONS = {"_", "N_"}


def display_modules() -> list[Path]:
    files = [*sorted((PACKAGE / "screens").rglob("*.py")), *sorted((PACKAGE / "widgets").rglob("*.py")),
             PACKAGE / "app.py"]
    return [path for path in files if path not in SAFE_MODULES]


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def is_safe_text(node: ast.AST, safe_names: frozenset[str] = frozenset()) -> bool:
    """Text that cannot carry a control character: a literal, a translated literal, what
    safe.py made of any text, or a local name only ever given such text."""
    if isinstance(node, ast.Name):
        return node.id in safe_names
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, str)
    if isinstance(node, ast.IfExp):
        return is_safe_text(node.body, safe_names) and is_safe_text(node.orelse, safe_names)
    if isinstance(node, ast.Starred):
        return is_safe_text(node.value, safe_names)
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        return is_safe_text(node.elt, safe_names)
    if isinstance(node, ast.Call):
        called = _name(node.func)
        if called in SAFE_FUNCTIONS:
            return True
        if isinstance(node.func, ast.Attribute) and called == "stylize":  # styling keeps it safe
            return is_safe_text(node.func.value, safe_names)
        if called in TRANSLATIONS and isinstance(node.func, ast.Name):
            return all(isinstance(arg, ast.Constant) for arg in node.args)
    return False


def names_of_safe_text(tree: ast.AST) -> frozenset[str]:
    """The local names every assignment gives safe text (content = plain(...) and then
    content = content.stylize(...), for instance)."""
    given: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    given.setdefault(target.id, []).append(node.value)
    safe: frozenset[str] = frozenset()
    while True:
        grown = frozenset(name for name, values in given.items()
                          if all(is_safe_text(value, safe | {name}) for value in values))
        if grown == safe:
            return safe
        safe = grown


def offences(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        found += _offences_in(function, names_of_safe_text(function) if function is not tree else frozenset())
    return sorted(set(found))


def _own_nodes(scope: ast.AST):
    """The nodes of `scope` outside the functions nested in it."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        yield child
        yield from _own_nodes(child)


def _offences_in(scope: ast.AST, safe_names: frozenset[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in _own_nodes(scope):
        if isinstance(node, ast.ClassDef):
            found += [(node.lineno, f"subclasses {_name(base)}: use SafeInput / SafeTextArea")
                      for base in node.bases if _name(base) in RAW_FIELDS]
        elif isinstance(node, ast.Call):
            found += _call_offences(node, safe_names)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in SHOWN_ATTRIBUTES \
                        and not is_safe_text(node.value, safe_names):
                    found.append((node.lineno, f"sets .{target.attr} without plain()"))
    return found


def _call_offences(call: ast.Call, safe_names: frozenset[str]) -> list[tuple[int, str]]:
    def safe(node: ast.AST) -> bool:
        return is_safe_text(node, safe_names)

    called = _name(call.func)
    line = call.lineno
    if called in RAW_FIELDS:
        return [(line, f"creates a raw {called}: use SafeInput / SafeTextArea")]
    if called in TEXT_WIDGETS and call.args and not safe(call.args[0]):
        return [(line, f"gives {called} text without plain()")]
    if called == "update" and isinstance(call.func, ast.Attribute) and call.args \
            and not safe(call.args[0]):
        return [(line, "updates a widget with text without plain()")]
    if called == "add_row" and not all(safe(arg) for arg in call.args):
        return [(line, "adds table cells without cell()")]
    if called == "add_column" and call.args and not safe(call.args[0]):
        return [(line, "adds a column label without plain()")]
    notifies = called == "notify" or any(_name(arg) == "notify" for arg in call.args)
    markup_off = any(k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
                     for k in call.keywords)
    if notifies and not markup_off:
        return [(line, "notifies without markup=False")]
    return []


def test_every_text_on_screen_goes_through_the_safe_helpers():
    problems = []
    for path in display_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        problems += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in offences(tree)]
    assert problems == []


def test_the_check_catches_each_way_of_forgetting():
    forgetful = '''
class Mine(Input): pass
Static(record.name)
Label(_("Contact {name}").format(name=record.name))
self.query_one(Static).update(message)
table.add_row(record.name, cell(record.phone))
self.app.notify(error.message)
self.app.call_from_thread(self.app.notify, str(error))
self.border_title = record.name
TextArea(record.notes)
def show(record):
    text = plain(record.name)
    text = record.notes
    self.query_one(Static).update(text)
'''
    lines = sorted(line for line, _what in offences(ast.parse(forgetful)))
    assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 10, 14]
    careful = '''
class Mine(SafeInput): pass
Static(plain(record.name))
Label(plain(_("Contact {name}").format(name=record.name)))
Static("")
Button(_("OK"))
table.add_row(*(cell(value) for value in values))
self.app.notify(error.message, markup=False)
self.border_subtitle = plain(value, one_line=True)
SafeTextArea(record.notes)
def show(lines):
    grid = plain("\\n".join(lines))
    grid = grid.stylize("bold", 0, 2)
    self.query_one(Static).update(grid)
'''
    assert offences(ast.parse(careful)) == []
