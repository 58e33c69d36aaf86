"""`crm` and `python -m crm_tui`.

The cyclic garbage collector is off while the program loads: its passes over the objects
of every module imported (Textual, peewee, the CRM's own) cost about a tenth of the time
to the first frame, and nothing loaded at start-up is garbage. It comes back on as soon
as the command is known (`crm_tui.cli.main`), or, for the full-screen CRM, once its first
frame is on the terminal (`CrmApp`).
"""
import gc


def main() -> int:
    gc.disable()
    from crm_tui.cli import main as run_command

    return run_command()


if __name__ == "__main__":
    raise SystemExit(main())
