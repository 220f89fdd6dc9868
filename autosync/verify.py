"""``autosync verify``: is every site set up to work with this one?

    autosync verify [--conf FILE] [-v]

Run where the reconciler runs, with its conf (default
``/etc/swift/autosync-reconciler.conf``). It reads this site and every
other one: each site of ``autosync_placement`` and, in realm style,
every other cluster of this site's realm (all of them are trusted
peers, and a placement filter may place containers on any). It prints
one line per check, ``✓`` or ``✗``, the site, the check, what it found
and, for a ✗, what to fix; then a summary. Exit 0 when every check
passed, 1 when one failed, 2 when it cannot run (a bad conf).

For every site, from the ``/info`` of its proxy (at the realm's
``cluster_x`` endpoint less ``/v1/``, or at its URL); /info is how one
site sees another's running proxy, so no proxy conf is read:

* ``endpoint``: /info answers, and the autosync there says it is that
  site (a ``cluster_x`` that points at another site's proxy shows);
* ``version``: the autosync version there is this command's;
* ``placement`` (sites of ``autosync_placement`` only): its
  ``autosync_placement`` is the same ring as this conf's (spelling and
  rotation aside), and its placement filter (``[filter:placement]``)
  decides by the same rules as this site's, compared by a digest in
  /info, as rules may name accounts;
* ``pipeline``: an auth filter (tempauth, keystoneauth) comes before
  autosync in its proxy's pipeline.

For every other site, from one signed GET sent as the reconciler signs
(it changes nothing there: autosync answers it before Swift sees it; a
GET, not a HEAD, so that a refusal comes with its reason):

* ``keys``: it verified this site's signature, and it signed a random
  challenge back that this site's keys verify (``signing.prove``). A
  key that differs either way shows, and which way;
* ``clock``: its clock, from its signed answer (else its ``Date``), is
  within ``signature_window`` of this node's.

And one signed batched read (``peer_batch.py``) of a container that
does not exist, which that site asks every primary container server of
in turn:

* ``records``: every container server asked answered it, so has
  autosync's ``container_records`` filter (``container_records.py``):
  without it this site's reconciler reads each container there with a
  HEAD of its own, several times slower (README, "Reconciler passes").

Example, B with another realm key::

    ✓ //autosync/a endpoint: http://127.0.0.1:8180/info answers
    ...
    ✗ //autosync/b keys: it does not verify this site's signature (401
      signature does not verify): make the key of realm AUTOSYNC in
      container-sync-realms.conf the same at every site
    ✓ //autosync/b clock: 0.003 s ahead of this node (± 0.002 s);
      signature_window = 60 s
    1 of 11 checks failed

The checks (``check_*``, ``checks_of``) are pure, on the ``Facts``
that ``Verifier`` gathers (all the I/O).
"""

import email.utils
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit, urlunsplit

from eventlet import GreenPile

from autosync import __version__
from autosync.clusters import PeerCluster
from autosync.config import AutosyncConfig
from autosync.directory import SiteDirectory
from autosync.peers import PeerRequest, send
from autosync.placement import (
    REALM_STYLE,
    PlacementError,
    Site,
    parse_placement,
    parse_site,
)
from autosync.protocol import VERIFY_CHALLENGE_HEADER, VERIFY_PROOF_HEADER
from autosync.signing import NONCE_BYTES, SignatureError, check_proof
from autosync.status import shown
from autosync.verdict import SiteAnswer

# Autosync answers the challenge before any account is looked at: the
# name only has to be one autosync takes for an account's.
VERIFY_ACCOUNT = 'autosync-verify'
# A Date header has whole seconds.
DATE_RESOLUTION = 1.0
PASSED, FAILED = '✓', '✗'


@dataclass(frozen=True)
class Check:
    site: str
    name: str
    ok: bool
    detail: str  # what was found; for a failure, what to fix too


@dataclass(frozen=True)
class Facts:
    """What one site answered. ``answer``: its answer to the signed
    GET (None for this site, or when none could be sent: ``error``
    says why); ``sent_at``, ``answered_at``: this node's clock around
    it."""
    site: Site
    here: bool
    in_placement: bool
    info_url: str = ''
    info: Optional[dict] = None
    info_error: str = ''
    challenge: str = ''
    answer: Optional[SiteAnswer] = None
    error: str = ''
    sent_at: float = 0.0
    answered_at: float = 0.0
    batch: Optional[SiteAnswer] = None  # its answer to a batched read


@dataclass(frozen=True)
class Expected:
    """What every site must agree with: this conf, this command, and
    this site's proxy (its placement filter's digest; ``known`` False
    when its /info could not be read)."""
    me: Site
    placement: Tuple[Site, ...]
    window: float
    keys: Sequence[Optional[str]]
    filter_digest: Optional[str] = None
    known: bool = True
    version: str = __version__


# -- the checks: pure --

def autosync_info(facts: Facts) -> Optional[dict]:
    found = (facts.info or {}).get('autosync')
    return found if isinstance(found, dict) else None


def unread(facts: Facts, name: str) -> Optional[Check]:
    """The failed check ``name`` when /info has nothing to check."""
    if facts.info is None:
        return Check(facts.site.name, name, False,
                     'not checked: no /info from it')
    if autosync_info(facts) is None:
        return Check(facts.site.name, name, False,
                     'not checked: no autosync in its /info')
    return None


def check_endpoint(facts: Facts) -> Check:
    name = facts.site.name
    if facts.info is None:
        fix = 'start its proxy, or fix its endpoint (%s)' % (
            'cluster_%s in container-sync-realms.conf' %
            facts.site.cluster.lower() if facts.site.style == REALM_STYLE
            else 'autosync_placement')
        return Check(name, 'endpoint', False, '%s%s: %s' % (
            facts.info_url + ': ' if facts.info_url else '',
            facts.info_error, fix))
    said = (autosync_info(facts) or {}).get('my_cluster')
    if said and _ident(said) != facts.site.ident:
        return Check(name, 'endpoint', False, (
            '%s answers as %s: point this site\'s endpoint at its proxy, '
            'or set autosync_my_cluster = %s there') % (
                facts.info_url, said, name))
    return Check(name, 'endpoint', True, '%s answers' % facts.info_url)


def check_version(facts: Facts, expected: Expected) -> Check:
    name = facts.site.name
    if facts.info is None:
        return unread(facts, 'version')
    if autosync_info(facts) is None:
        return Check(name, 'version', False, 'no autosync in its /info: '
                     'put autosync in its proxy\'s pipeline')
    version = autosync_info(facts).get('version')
    if version != expected.version:
        return Check(name, 'version', False, (
            'autosync %s there, %s here: run the same autosync at every '
            'site') % (version or 'older than 0.1.0', expected.version))
    return Check(name, 'version', True, 'autosync %s' % version)


def same_ring(one: Sequence[Site], other: Sequence[Site]) -> bool:
    """The same sites in the same ring order, whichever site starts
    it (A, B, C syncs as B, C, A does)."""
    one, other = [s.ident for s in one], [s.ident for s in other]
    if len(one) != len(other):
        return False
    return any(one[i:] + one[:i] == other for i in range(len(one) or 1))


def check_placement(facts: Facts, expected: Expected) -> Check:
    name = facts.site.name
    failed = unread(facts, 'placement')
    if failed:
        return failed
    listed = autosync_info(facts).get('placement') or []
    try:
        there = parse_placement(', '.join(listed))
    except PlacementError as err:
        return Check(name, 'placement', False, 'its placement %r: %s' % (
            listed, err))
    shown_here = ', '.join(s.name for s in expected.placement)
    if not same_ring(there, expected.placement):
        return Check(name, 'placement', False, (
            '%s there, %s here: make autosync_placement the same at '
            'every site (each proxy and reconciler conf)') % (
                ', '.join(listed), shown_here))
    return _check_filter(facts, expected, shown_here)


def _check_filter(facts: Facts, expected: Expected, ring: str) -> Check:
    name = facts.site.name
    digest = (facts.info.get('autosync_placement_filter') or {}).get(
        'rules_digest')
    if facts.here or not expected.known:
        return Check(name, 'placement', True, ring + (
            '' if facts.here else '; placement filter not compared, '
            'this site\'s /info did not answer'))
    if digest != expected.filter_digest:
        there = 'rules %s' % digest if digest else 'no placement filter'
        here = 'rules %s' % expected.filter_digest \
            if expected.filter_digest else 'none'
        return Check(name, 'placement', False, (
            'its placement filter differs (%s there, %s here): make '
            '[filter:placement] the same at every site') % (there, here))
    return Check(name, 'placement', True, ring + (
        ', the same placement filter rules' if digest else ''))


def check_pipeline(facts: Facts) -> Check:
    name = facts.site.name
    failed = unread(facts, 'pipeline')
    if failed:
        return failed
    auth = autosync_info(facts).get('auth_before', False)
    if auth is False or auth is None:
        return Check(name, 'pipeline', False, (
            'its /info does not say (%s): check that autosync comes right '
            'after auth in its proxy-server.conf') % (
                'an older autosync' if auth is False else
                'its proxy could not read its pipeline'))
    if not auth:
        return Check(name, 'pipeline', False, (
            'no tempauth or keystoneauth before autosync: put autosync '
            'right after the auth filter in its pipeline'))
    return Check(name, 'pipeline', True, 'autosync after %s' % (
        ' and '.join(auth)))


def proof_time(facts: Facts, expected: Expected
               ) -> Tuple[Optional[float], str]:
    """(the site's time, as it signed it back; None and why not)."""
    answer = facts.answer
    proof = answer.headers.get(VERIFY_PROOF_HEADER.lower())
    if not answer.ok or proof is None:
        return None, 'no proof'
    try:
        return check_proof(expected.keys, facts.challenge, facts.site.ident,
                           expected.me.ident, proof), ''
    except SignatureError as err:
        return None, str(err)


def _key_name(expected: Expected) -> str:
    if expected.me.style == REALM_STYLE:
        return 'the key of realm %s in container-sync-realms.conf' % (
            expected.me.realm)
    return 'autosync_key'


def _refusal(facts: Facts, expected: Expected) -> Check:
    """The keys check of a site that refused the signed GET."""
    name, said = facts.site.name, facts.answer.describe()
    if 'does not verify' in said:
        fix = 'make %s the same at every site' % _key_name(expected)
        why = 'it does not verify this site\'s signature'
    elif 'window' in said:
        fix = 'see the clock check'
        why = 'not checked: its clock is too far from this one\'s'
    elif 'not a cluster of realm' in said or 'not of the style' in said:
        fix = 'define %s there as here' % expected.me.name
        why = 'it does not trust this site'
    elif 'has no key' in said:
        fix = 'give it %s' % _key_name(expected)
        why = 'it has no key for this site'
    else:
        fix = 'does it run autosync with override_auth = true?'
        why = 'it refused the signed request'
    return Check(name, 'keys', False, '%s (%s): %s' % (why, said, fix))


def check_keys(facts: Facts, expected: Expected) -> Check:
    name, answer = facts.site.name, facts.answer
    if answer is None or answer.status is None:
        return Check(name, 'keys', False, 'not checked: %s' % (
            facts.error or answer.detail))
    if answer.status == 401:
        return _refusal(facts, expected)
    signed_at, why = proof_time(facts, expected)
    if signed_at is not None:
        return Check(name, 'keys', True, 'it verifies this site\'s '
                     'signature, this site verifies its own')
    if why == 'no proof':
        return Check(name, 'keys', False, (
            'it answered %s with no proof: does it run autosync %s?') % (
                answer.describe(), expected.version))
    return Check(name, 'keys', False, (
        'it verifies this site\'s signature, but this site does not '
        'verify its own (%s): make %s the same at every site') % (
            why, _key_name(expected)))


def site_time(facts: Facts, expected: Expected
              ) -> Tuple[Optional[float], float]:
    """(the site's time mid-way through the request, how far off that
    can be), from its signed proof, else from its Date header."""
    answer = facts.answer
    if answer is None or answer.status is None:
        return None, 0.0
    half_trip = (facts.answered_at - facts.sent_at) / 2
    signed_at, _ = proof_time(facts, expected)
    if signed_at is not None:
        return signed_at, half_trip
    try:
        dated = email.utils.parsedate_to_datetime(answer.headers['date'])
    except (KeyError, TypeError, ValueError):
        return None, 0.0
    return (dated.timestamp() + DATE_RESOLUTION / 2,
            half_trip + DATE_RESOLUTION / 2)


def check_clock(facts: Facts, expected: Expected) -> Check:
    name = facts.site.name
    there, error = site_time(facts, expected)
    if there is None:
        return Check(name, 'clock', False, 'not checked: %s' % (
            facts.error or (facts.answer and facts.answer.describe()) or
            'no time in its answer'))
    skew = there - (facts.sent_at + facts.answered_at) / 2
    found = '%.3f s %s this node (± %.3f s); signature_window = %g s' % (
        abs(skew), 'ahead of' if skew >= 0 else 'behind', error,
        expected.window)
    if abs(skew) > expected.window:
        return Check(name, 'clock', False, found + ': set both clocks by '
                     'NTP, signed requests between them are refused')
    return Check(name, 'clock', True, found)


def check_records(facts: Facts) -> Check:
    name, answer = facts.site.name, facts.batch
    if answer is None or answer.status is None:
        return Check(name, 'records', False, 'not checked: %s' % (
            facts.error or (answer.detail if answer else 'no answer')))
    if answer.status in (401, 403):
        return Check(name, 'records', False, 'not checked: it refused the '
                     'batched read (%s): see its keys check'
                     % answer.describe())
    if answer.status != 200:
        return Check(name, 'records', False, 'not checked: it answered '
                     'the batched read %s' % answer.describe())
    try:
        body = json.loads(answer.body)
        asked = int(body['servers_asked'])
        unanswered = [str(why) for why in body['servers_unanswered']]
    except (ValueError, TypeError, KeyError):
        return Check(name, 'records', False, 'it does not know the '
                     'batched read: does it run autosync %s?' % __version__)
    if unanswered:
        return Check(name, 'records', False, (
            '%d of %d container servers gave no records (%s): add '
            'autosync_records to their pipeline (README, "Repairs"), '
            'else this site reads each container there with a HEAD') % (
                len(unanswered), asked, '; '.join(unanswered)))
    return Check(name, 'records', True, 'its container servers answer '
                 'batched reads (%d asked)' % asked)


def checks_of(facts: Facts, expected: Expected) -> List[Check]:
    """Every check of one site, in the order they are shown."""
    found = [check_endpoint(facts), check_version(facts, expected)]
    if facts.in_placement:
        found.append(check_placement(facts, expected))
    found.append(check_pipeline(facts))
    if not facts.here:
        found += [check_keys(facts, expected), check_clock(facts, expected),
                  check_records(facts)]
    return found


def expected_of(cfg: AutosyncConfig, keys: Sequence[Optional[str]],
                here: Facts) -> Expected:
    """What every site is checked against; ``here``: this site's
    facts."""
    known = here.info is not None
    digest = ((here.info or {}).get('autosync_placement_filter') or {}).get(
        'rules_digest')
    return Expected(cfg.my_cluster, cfg.placement, cfg.signature_window,
                    keys, digest, known)


def output(checks: Sequence[Check]) -> str:
    lines = [shown('%s %s %s: %s' % (PASSED if c.ok else FAILED, c.site,
                                      c.name, c.detail)) for c in checks]
    failed = sum(1 for c in checks if not c.ok)
    lines.append('%d of %d checks failed' % (failed, len(checks))
                 if failed else 'all %d checks passed' % len(checks))
    return '\n'.join(lines)


def exit_status(checks: Sequence[Check]) -> int:
    return 0 if all(c.ok for c in checks) else 1


# -- reading the sites: I/O --

def _ident(name: str) -> str:
    try:
        return parse_site(name).ident
    except PlacementError:
        return name


def info_url(directory: SiteDirectory, site: Site) -> str:
    """Where the site's proxy answers /info: its endpoint less /v1/;
    PlacementError when it has none."""
    base = directory.realm_endpoint(site) if site.style == REALM_STYLE \
        else site.url
    parsed = urlsplit(base)
    path = parsed.path.rstrip('/')
    if path.endswith('/v1'):
        path = path[:-len('/v1')]
    return urlunsplit((parsed.scheme, parsed.netloc, path + '/info', '',
                       ''))


class Verifier(object):
    """``clock`` for tests."""

    def __init__(self, cfg: AutosyncConfig, directory: SiteDirectory,
                 logger, clock: Callable[[], float] = time.time):
        self.cfg = cfg
        self.directory = directory
        self.logger = logger
        self.clock = clock

    def sites(self) -> List[Tuple[Site, bool]]:
        """(site, in the placement) of this site first, then every
        other site of the placement, then the realm's other clusters."""
        me = self.cfg.my_cluster
        found = [me] + [s for s in self.cfg.placement if s != me]
        if me.style == REALM_STYLE:
            realm = me.name.lstrip('/').split('/')[0]
            for cluster in sorted(self.directory.realms.clusters(
                    me.realm)):
                site = parse_site('//%s/%s' % (realm, cluster.lower()))
                if site not in found:
                    found.append(site)
        return [(site, site in self.cfg.placement) for site in found]

    def run(self) -> List[Check]:
        sites = self.sites()
        pile = GreenPile(len(sites))
        for site, in_placement in sites:
            pile.spawn(self.gather, site, in_placement)
        every = list(pile)
        me = self.cfg.my_cluster
        expected = expected_of(self.cfg, self.directory.peer_keys(me),
                               every[0])
        return [check for facts in every
                for check in checks_of(facts, expected)]

    def gather(self, site: Site, in_placement: bool) -> Facts:
        here = site == self.cfg.my_cluster
        url, info, info_error = self.read_info(site)
        facts = Facts(site, here, in_placement, url, info, info_error)
        if here:
            return facts
        return self.batched_read(self.signed_read(facts))

    def read_info(self, site: Site) -> Tuple[str, Optional[dict], str]:
        """(its /info URL, its /info, why none)."""
        try:
            url = info_url(self.directory, site)
        except PlacementError as err:
            return '', None, str(err)
        answer = send(PeerRequest(site, 'GET', url, {}),
                      self.cfg.conn_timeout, self.cfg.node_timeout,
                      self.logger, whole_body=True)
        if answer.status != 200:
            return url, None, answer.describe() + (
                ' (expose_info = false?)' if answer.status == 404 else '')
        try:
            info = json.loads(answer.body)
        except ValueError as err:
            return url, None, '200, but not JSON: %s' % err
        if not isinstance(info, dict):
            return url, None, '200, but not a JSON object'
        return url, info, ''

    def signed_read(self, facts: Facts) -> Facts:
        challenge = secrets.token_hex(NONCE_BYTES)
        try:
            request = self.directory.signed_request(
                self.cfg.my_cluster, facts.site, 'GET', VERIFY_ACCOUNT,
                None, {VERIFY_CHALLENGE_HEADER: challenge})
        except PlacementError as err:
            return replace(facts, error=str(err))
        sent_at = self.clock()
        answer = send(request, self.cfg.conn_timeout, self.cfg.node_timeout,
                      self.logger)
        return replace(facts, challenge=challenge, answer=answer,
                       sent_at=sent_at, answered_at=self.clock())

    def batched_read(self, facts: Facts) -> Facts:
        """A batched read of a container no site holds: the site asks
        each of its primary container servers in turn."""
        name = 'autosync-verify-%s' % secrets.token_hex(NONCE_BYTES)
        answer, why = PeerCluster(
            self.cfg.my_cluster, facts.site, self.directory,
            self.cfg.conn_timeout, self.cfg.node_timeout,
            self.logger).send_batch(VERIFY_ACCOUNT, [name])
        if answer is None:
            return replace(facts, error=why)
        return replace(facts, batch=answer)
