"""Configuration from the environment (and, in the UI, from ``st.secrets``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'stammtisch.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    now: str | None = None
    public_base_url: str | None = None


def load_settings(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> Settings:
    """Read settings; the environment wins over secrets, secrets over the defaults."""
    env = os.environ if environ is None else environ
    sec = secrets or {}

    def pick(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        if value is None or value == "":
            raw = sec.get(name)
            value = str(raw) if raw not in (None, "") else None
        return value if value is not None else default

    return Settings(
        database_url=pick("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        now=pick("STAMMTISCH_NOW"),
        public_base_url=(pick("STAMMTISCH_BASE_URL") or "").rstrip("/") or None,
    )
