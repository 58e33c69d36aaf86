"""Text helpers shared by storage and search: folding accents and case."""
from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case `text` without accents: "Cámara" -> "camara" (ñ stays ñ-less: "n")."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
