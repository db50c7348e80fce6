"""The menu: each pages module lists its entries in ``NAV``; the app collects them."""

from __future__ import annotations

from dataclasses import dataclass

from rengo.core.permissions import Principal, allows
from rengo.web.i18n import N_

SECTIONS = (
    ("home", N_("Home")),
    ("register", N_("Asset register")),
    ("m1", N_("Measure 1: Joint cyber defence")),
    ("m2", N_("Measure 2: Cloud cost")),
    ("m3", N_("Measure 3: EBPM and open data")),
    ("admin", N_("Administration")),
)


@dataclass(frozen=True, slots=True)
class NavItem:
    section: str
    label: str
    """English msgid; shown translated."""
    path: str
    permission: str | None = None
    """The action the user needs to see the entry; ``None`` for everyone."""
    order: int = 100

    def visible_to(self, principal: Principal) -> bool:
        return self.permission is None or allows(principal, self.permission)


_items: list[NavItem] = []


def add(items: list[NavItem]) -> None:
    for item in items:
        if item not in _items:
            _items.append(item)


def menu(principal: Principal) -> list[tuple[str, str, list[NavItem]]]:
    """Sections with the entries this principal may see, in order; empty sections dropped."""
    out = []
    for key, title in SECTIONS:
        entries = sorted(
            (i for i in _items if i.section == key and i.visible_to(principal)),
            key=lambda i: (i.order, i.label),
        )
        if entries:
            out.append((key, title, entries))
    return out
