"""Text as people search it: the same word whatever its accents and capitals."""

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: "Prévention" -> "prevention"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
