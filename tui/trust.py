"""The trust boundary: the one rule for drawing text we did not write.

Everything that comes from a service (session names and game properties are often chosen by
players), from one of our own files (audit log, saved searches, config) or typed by the user
passes :func:`visible` before it is drawn:

- it is never parsed as markup (callers draw :func:`safe_text`, a Rich ``Text``, or plain
  strings into widgets built with ``markup=False``), so it can carry no ``@click`` action;
- C0 controls (tab becomes a space), ESC, DEL and C1 controls are shown as visible symbols
  (``␛``, ``␡``, ``⟨U+009B⟩``), never emitted, so no escape sequence reaches the terminal;
- bidi overrides and isolates, zero-width and other invisible format characters, line and
  paragraph separators and lone surrogates are shown as ``⟨U+202E⟩``;
- a newline is shown as ``␤`` unless the caller draws a multi-line block of its own.

This module imports nothing of the project and nothing of Textual, so every layer may use it.
It also owns the two other rules about untrusted text: a file name built from service text is a
safe basename inside its folder (:func:`safe_basename`, :func:`contained`), and error text is
scrubbed of credentials before it is shown or written (:func:`scrub_secrets`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# Format characters (category Cf) that are harmless and common in real names: the soft hyphen
# and the zero-width joiner inside emoji sequences. Every other Cf character is shown.
_HARMLESS_FORMAT = frozenset({"\u00ad", "\u200d"})
_SPECIAL = {"\t": " ", "\x1b": "\u241b", "\x7f": "\u2421", "\n": "\u2424"}


@lru_cache(maxsize=4096)
def _char(ch: str) -> str:
    special = _SPECIAL.get(ch)
    if special is not None:
        return special
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟, the Unicode control pictures
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp", "Cs") or (category == "Cf" and ch not in _HARMLESS_FORMAT):
        return f"\u27e8U+{code:04X}\u27e9"
    return ch


# Fast path: most text is printable ASCII or ordinary letters; only strings with a character
# that might need showing go through the per-character rule.
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000110bd\U000110cd\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001-\U000e007f]"
)


def visible(value: object, *, newlines: bool = False) -> str:
    """``value`` as text that is safe to draw: every control and invisible character shown.

    With ``newlines=True`` a ``\\n`` stays a line break (for multi-line blocks the caller lays
    out, such as pretty-printed JSON); everything else still follows the rule.
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if not _SUSPECT.search(text):
        return text
    if newlines:
        return "\n".join("".join(map(_char, line)) for line in text.split("\n"))
    return "".join(map(_char, text))


def is_clean(text: str) -> bool:
    """True when ``text`` draws as it is (nothing :func:`visible` would change)."""
    return visible(text, newlines=True) == text


def safe_text(value: object, style: str = "", *, newlines: bool = False) -> Text:
    """A Rich ``Text`` of ``value`` under the rule: never parsed as markup, nothing invisible."""
    from rich.text import Text

    return Text(visible(value, newlines=newlines), style=style)


# --- file names ------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_basename(name: object, *, fallback: str = "download", max_length: int = 120) -> str:
    """A file name made from untrusted text: one path component, no dot-only or hidden name.

    Anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``_`` (separators included), so
    ``../../../tmp/x`` is ``.._.._.._tmp_x`` minus its leading dots: ``_.._.._tmp_x``.
    """
    text = _UNSAFE_NAME.sub("_", "" if name is None else str(name)).lstrip(".")
    text = text[:max_length].rstrip(".")
    return text if text.strip("_") else fallback


def contained(folder: Path, name: str) -> Path:
    """``folder / name`` if it stays inside ``folder`` (after resolving links), else ValueError."""
    base = folder.resolve()
    target = (base / name).resolve()
    if target.parent != base and base not in target.parents:
        raise ValueError(f"{name!r} would leave {base}")
    return target


# --- secrets in error text -------------------------------------------------------------------

# Key ids (AKIA…, ASIA…, the demo's AKID…), SigV4 credential scopes and signatures, session
# tokens in headers or query strings, and secret keys can turn up in service messages (signature
# mismatch reports quote the canonical request); they are cut before anything is shown or written.
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AKID|AIDA|AROA|AGPA|ANPA)[A-Z0-9]{8,}\b")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^,\s&]+")
_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]{16,}")
_TOKEN_HEADER = re.compile(
    r"((?:x-amz-security-token|x-amz-sso_bearer_token|aws_session_token|aws_secret_access_key"
    r"|authorization|SessionToken|SecretAccessKey)\s*[:=]\s*)(\"?)[^\s\"',&;]+",
    re.IGNORECASE)
_TOKEN_QUERY = re.compile(r"((?:X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential)=)[^&\s\"']+",
                          re.IGNORECASE)


def scrub_secrets(text: str) -> str:
    """``text`` with credential-like values replaced by ``[redacted]``."""
    text = _TOKEN_HEADER.sub(r"\1\2[redacted]", text)
    text = _TOKEN_QUERY.sub(r"\1[redacted]", text)
    text = _SIGNATURE.sub(r"\1[redacted]", text)
    text = _CREDENTIAL_SCOPE.sub("Credential=[redacted]", text)
    return _KEY_ID.sub("[redacted]", text)
