"""What the web console needs from the settings ([web] in zhibu.toml), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    base_url: str = ""  # where browsers reach the console; "" when not configured
    idle: timedelta = timedelta(hours=8)  # a session unused this long has to log in again

    @property
    def secure(self) -> bool:
        """Served over https: the session cookie is then sent over https only."""
        return self.base_url.startswith("https://")
