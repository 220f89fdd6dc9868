"""Which accounts this node's reconciler checks, and their state here.

The account half of the reconciler's DB walk, as ``container_walk.py``
is the container half (what they share is ``db_walk.py``): the account
DBs on this node's devices, read with an ``AccountBroker``, no request
made. An account is checked when somebody set something on it: user
metadata, an account ACL, or an autosync record (when its settings last
changed, a pending change). An account that autocreate made and nobody
changed has nothing any other site could lack. Deleted accounts are the
account reaper's; accounts starting with a dot are Swift's own. Of the
replicas of an account only one is checked, the one at the index its
hash picks in the account ring.
"""

from typing import Iterator, Optional, Tuple

from swift.account.backend import DATADIR, AccountBroker

from autosync.account_state import AccountState, from_broker
from autosync.db_walk import DbWalk

# (account, state here)
ManagedAccount = Tuple[str, AccountState]


class AccountWalk(DbWalk):
    """A DB that cannot be read is counted as ``accounts.errors``."""

    def is_mine(self, account: str, device: str) -> bool:
        return self.is_mine_at(device, account)

    def managed_accounts(self, mine_only: bool = True
                         ) -> Iterator[ManagedAccount]:
        """Every account worth checking whose DB is on this node and,
        with ``mine_only``, is this node's to check."""
        for path, device in self.db_files(DATADIR):
            found = self._read(path)
            if found is None:
                continue
            account, state = found
            if mine_only and not self.is_mine(account, device):
                continue
            yield account, state

    def _read(self, path: str) -> Optional[ManagedAccount]:
        try:
            broker = AccountBroker(path, logger=self.logger)
            info = broker.get_info()
            if broker.is_status_deleted() or broker.is_deleted() or \
                    info['account'].startswith('.'):
                return None
            state = from_broker(self.site_name, broker.metadata)
        except Exception as err:
            self.unreadable('accounts.errors', path, err)
            return None
        if not state.worth_checking:
            return None
        return info['account'], state
