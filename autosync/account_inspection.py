"""Read one account at every configured site and diagnose it.

An account has no placement of its own: its sites are the configured
``autosync_placement`` (every site a container of it may be on). They
are read in parallel, through the same clusters as containers
(``Inspector.cluster``); a state already read (this site's, from its
DB) is not read again.
"""

from dataclasses import dataclass, replace
from typing import Dict, Sequence

from eventlet import GreenPile

from autosync.account_repair import AccountDiagnosis, diagnose_account
from autosync.account_state import AccountState
from autosync.inspection import Inspector
from autosync.placement import parse_site


@dataclass(frozen=True)
class AccountInspection:
    account: str
    states: Dict[str, AccountState]
    diagnosis: AccountDiagnosis


def inspect_account(inspector: Inspector, account: str,
                    known: Sequence[AccountState] = ()
                    ) -> AccountInspection:
    sites = inspector.cfg.placement
    # Keyed by Site, as containers are: one site however spelled.
    states = {parse_site(state.site): state for state in known}
    unread = [site for site in sites if site not in states]
    if unread:
        pile = GreenPile(len(unread))
        for site in unread:
            pile.spawn(inspector.cluster(site).head_account, account)
        states.update(zip(unread, pile))  # a GreenPile answers in order
    # Named as the placement spells each site: so do the repairs.
    named = {site.name: replace(states[site], site=site.name)
             for site in sites}
    diagnosis = diagnose_account([site.name for site in sites], named)
    return AccountInspection(account, named, diagnosis)
