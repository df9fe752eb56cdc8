"""Who is who: the board's people and agency directory, looked up.

A sender is *known* when the From address is one of the board's own
addresses, an address in the agency directory, or on exactly one of an
agency's listed domains. Look-alike domains (``po1ice.sussex.example``,
``police-sussex.example``) and sub-domains that are not listed are unknown;
``Sender`` and ``Reply-To`` never make an unknown From known.

Matching is exact on ASCII: an address with any other character (a Cyrillic
``о``, a full-width letter, the Kelvin sign that ``str.lower`` turns into
``k``, a punycode ``xn--`` label) is unknown, never "normalised" into a
listed one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.config import Agency, BoardConfig, normalise_name


@dataclass(frozen=True)
class Identity:
    """What a sender address is to the board."""

    #: ``chair``, ``subgroup_chair``, ``business_manager``, ``admin``,
    #: ``pack_recipient``, ``mailbox``, ``panel`` (the National Panel), ``agency`` or ``unknown``.
    role: str
    agency: Agency | None = None

    @property
    def known(self) -> bool:
        return self.role != "unknown"


class Directory:
    def __init__(self, config: BoardConfig) -> None:
        self.config = config
        self._board: dict[str, str] = {config.mailbox_address.email: "mailbox"}
        for bm in config.business_managers:
            self._board[bm.email] = "business_manager"
        for admin in config.admins:
            self._board.setdefault(admin.email, "admin")
        for person in config.pack_recipients:
            self._board.setdefault(person.email, "pack_recipient")
        self._board.setdefault(config.notify.national_panel.email.lower(), "panel")
        self._board[config.subgroup_chair.email] = "subgroup_chair"
        self._board[config.chair.email] = "chair"
        self._by_address: dict[str, Agency] = {}
        self._by_domain: dict[str, Agency] = {}
        self._by_name: dict[str, Agency] = {}
        for agency in config.agencies:
            people = [*agency.scoping_contacts, *([agency.senior_manager] if agency.senior_manager else [])]
            for addr in [*agency.addresses, *(p.email for p in people)]:
                self._by_address.setdefault(addr, agency)
            for domain in agency.domains:
                self._by_domain.setdefault(domain, agency)
            for name in [agency.name, *agency.aliases]:
                self._by_name.setdefault(normalise_name(name), agency)

    def identify(self, address: str) -> Identity:
        address = (address or "").strip()
        if not address.isascii() or address.count("@") != 1:
            return Identity("unknown")
        address = address.lower()  # ASCII only here, so no character turns into another
        if address in self._board:
            return Identity(self._board[address])
        agency = self._by_address.get(address)
        if agency is None and "@" in address:
            agency = self._by_domain.get(address.rsplit("@", 1)[1])
        return Identity("agency", agency) if agency else Identity("unknown")

    def agency_named(self, name: str | None) -> Agency | None:
        """The directory agency a form's wording means, or None (never a guess)."""
        if not name:
            return None
        key = normalise_name(name)
        if key in self._by_name:
            return self._by_name[key]
        # "Sussex Police – CAIT" or "Police (CAIT)": the part before a dash or bracket.
        for sep in (" – ", " - ", " (", ","):
            head = name.split(sep)[0]
            if head != name and normalise_name(head) in self._by_name:
                return self._by_name[normalise_name(head)]
        return None

    def agency(self, name: str) -> Agency | None:
        return next((a for a in self.config.agencies if a.name == name), None)

    @property
    def standing_agencies(self) -> list[Agency]:
        return [a for a in self.config.agencies if a.standing]
