"""List an account's containers at several sites at once.

``autosync status ACCOUNT`` shows every container of the account that
any site holds, not only those this site lists: a container that a
crossing change left at another site only is just what it must show.
Each site is listed through its cluster (``Inspector.cluster``: this
site through its InternalClient, any other by signed GETs, paged with
``marker``), all in parallel. A site that cannot list says why, and is
never taken for a site without containers.
"""

from typing import Callable, List, Sequence, Tuple

from eventlet import GreenPile

from autosync.clusters import ContainerListing
from autosync.placement import Site


def list_at(cluster: Callable, account: str,
            sites: Sequence[Site]) -> Tuple[ContainerListing, ...]:
    """One listing of ``account`` for each of ``sites``, in their order;
    ``cluster`` gives a site's cluster."""
    if not sites:
        return ()
    pile = GreenPile(len(sites))
    for site in sites:
        pile.spawn(cluster(site).list_containers, account)
    return tuple(pile)  # a GreenPile answers in order


def every_name(listings: Sequence[ContainerListing]) -> List[str]:
    """Each container some site listed, once, in Swift's order (UTF-8
    byte order, which code point order is)."""
    names = set()
    for listing in listings:
        names.update(listing.names or ())
    return sorted(names)
