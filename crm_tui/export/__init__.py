"""Writing lists out: .xlsx workbooks, printable text/HTML, clipboard text. No Textual."""
