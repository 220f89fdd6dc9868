"""``autosync verify`` (verify.py): each check on facts made up here,
then the whole command against loopback sites running autosync over a
FakeSwift that answers /info; and what a site answers its challenge
with (peer_change.py), and what it shows in /info."""

import email.utils
import json

import pytest
from swift.common import registry
from swift.common.swob import Request, Response

from autosync import __version__, config, verify
from autosync.directory import SiteDirectory
from autosync.middleware import filter_factory
from autosync.pipeline import auth_before_autosync
from autosync.placement import parse_placement, parse_site
from autosync.placement_filter import filter_factory as placement_factory
from autosync.protocol import (
    AUTH_HEADER,
    ORIG_CLUSTER_HEADER,
    VERIFY_CHALLENGE_HEADER,
    VERIFY_PROOF_HEADER,
)
from autosync.signing import SignatureError, check_proof, prove
from autosync.verdict import SiteAnswer
from autosync.verify import Check, Expected, Facts

from helpers import (
    REALM,
    REALM_KEY,
    ContainerServer,
    FakeLogger,
    FakeRing,
    FakeSwift,
    PeerSite,
)

A, B, C = '//r1/a', '//r1/b', '//r1/c'
SITE_A, SITE_B = parse_site(A), parse_site(B)
CHALLENGE = '0123456789abcdef' * 2
SENT_AT = 1000000.0
WINDOW = 60.0


def autosync_info(site=B, placement=(A, B), version=__version__,
                  auth_before=('tempauth',), digest=None) -> dict:
    info = {'autosync': {'my_cluster': site, 'placement': list(placement),
                         'version': version,
                         'auth_before': None if auth_before is None
                         else list(auth_before)}}
    if digest:
        info['autosync_placement_filter'] = {'rules_digest': digest}
    return info


def facts(info=None, answer=None, site=SITE_B, here=False, **more) -> Facts:
    more.setdefault('sent_at', SENT_AT)
    more.setdefault('answered_at', SENT_AT + 0.2)
    return Facts(site, here, True, 'http://b.example.com/info',
                 autosync_info() if info is None else info, '',
                 CHALLENGE, answer, **more)


def expected(digest=None, known=True, keys=(REALM_KEY,)) -> Expected:
    return Expected(SITE_A, parse_placement('%s, %s' % (A, B)), WINDOW,
                    keys, digest, known)


def proved(key=REALM_KEY, at=SENT_AT + 0.1, status=204, **headers):
    headers[VERIFY_PROOF_HEADER.lower()] = prove(
        key, CHALLENGE, SITE_B.ident, SITE_A.ident, now=at)
    return SiteAnswer(B, status, '', headers)


def refused(why: str) -> SiteAnswer:
    return SiteAnswer(B, 401, 'Unauthorized: autosync: request from '
                      'another site refused: %s.' % why)


# -- signing a challenge back --

def test_a_proof_verifies_under_the_key_it_was_made_with():
    proof = prove('k', CHALLENGE, SITE_B.ident, SITE_A.ident, now=5.25)
    assert check_proof(['other', 'k'], CHALLENGE, SITE_B.ident,
                       SITE_A.ident, proof) == 5.25


@pytest.mark.parametrize('keys, challenge, prover', [
    (['other'], CHALLENGE, SITE_B.ident),
    (['k'], 'f' * 32, SITE_B.ident),
    (['k'], CHALLENGE, SITE_A.ident),
])
def test_a_proof_does_not_verify_for_another_key_challenge_or_site(
        keys, challenge, prover):
    proof = prove('k', CHALLENGE, SITE_B.ident, SITE_A.ident)
    with pytest.raises(SignatureError, match='does not verify'):
        check_proof(keys, challenge, prover, SITE_A.ident, proof)


@pytest.mark.parametrize('value', [None, '', '12 ab', '12.5 ' + 'a' * 64])
def test_a_malformed_proof_is_refused(value):
    with pytest.raises(SignatureError, match='malformed'):
        check_proof(['k'], CHALLENGE, SITE_B.ident, SITE_A.ident, value)


# -- the checks --

def test_an_endpoint_without_info_fails_naming_the_realm_line():
    check = verify.check_endpoint(Facts(
        SITE_B, False, True, 'http://b/info', None, 'connection refused'))
    assert check == Check(B, 'endpoint', False, (
        'http://b/info: connection refused: start its proxy, or fix its '
        'endpoint (cluster_b in container-sync-realms.conf)'))


def test_an_endpoint_answering_as_another_site_fails():
    check = verify.check_endpoint(facts(autosync_info(site=A)))
    assert not check.ok
    assert 'answers as %s' % A in check.detail


def test_an_endpoint_answering_as_its_site_passes():
    assert verify.check_endpoint(facts()).ok


def test_another_version_fails_naming_both():
    check = verify.check_version(facts(autosync_info(version='0.0.9')),
                                 expected())
    assert not check.ok
    assert 'autosync 0.0.9 there, %s here' % __version__ in check.detail


def test_no_autosync_in_info_fails_the_version():
    check = verify.check_version(facts({'swift': {}}), expected())
    assert not check.ok
    assert 'no autosync in its /info' in check.detail


def test_the_same_version_passes():
    assert verify.check_version(facts(), expected()).ok


@pytest.mark.parametrize('one, other, same', [
    ((A, B, C), (B, C, A), True),
    ((A, B, C), (A, C, B), False),
    ((A, B), (A, B, C), False),
    ((A, B), ('//R1/A/', B), True),
])
def test_a_ring_is_the_same_from_any_of_its_sites(one, other, same):
    assert verify.same_ring(parse_placement(', '.join(one)),
                            parse_placement(', '.join(other))) is same


def test_another_placement_fails_naming_both():
    check = verify.check_placement(facts(autosync_info(placement=(B,))),
                                   expected())
    assert not check.ok
    assert check.detail.startswith('%s there, %s, %s here: make '
                                   'autosync_placement the same' % (B, A, B))


def test_another_placement_filter_fails():
    check = verify.check_placement(facts(autosync_info(digest='1234')),
                                   expected(digest='abcd'))
    assert not check.ok
    assert 'its placement filter differs (rules 1234 there, rules abcd ' \
        'here)' in check.detail


def test_a_placement_filter_here_only_fails():
    check = verify.check_placement(facts(), expected(digest='abcd'))
    assert not check.ok
    assert '(no placement filter there, rules abcd here)' in check.detail


def test_the_same_placement_and_filter_pass():
    check = verify.check_placement(facts(autosync_info(digest='abcd')),
                                   expected(digest='abcd'))
    assert check == Check(B, 'placement', True, '%s, %s, the same '
                          'placement filter rules' % (A, B))


def test_no_auth_before_autosync_fails_the_pipeline():
    check = verify.check_pipeline(facts(autosync_info(auth_before=())))
    assert not check.ok
    assert 'no tempauth or keystoneauth before autosync' in check.detail


def test_an_unknown_pipeline_fails():
    check = verify.check_pipeline(facts(autosync_info(auth_before=None)))
    assert not check.ok
    assert 'its /info does not say' in check.detail


def test_auth_before_autosync_passes_the_pipeline():
    check = verify.check_pipeline(facts())
    assert check == Check(B, 'pipeline', True, 'autosync after tempauth')


def test_a_refused_signature_fails_the_keys_naming_the_realm_key():
    check = verify.check_keys(facts(answer=refused(
        'signature does not verify')), expected())
    assert not check.ok
    assert check.detail.startswith(
        "it does not verify this site's signature (401 ")
    assert check.detail.endswith('make the key of realm R1 in '
                                 'container-sync-realms.conf the same at '
                                 'every site')


def test_a_proof_under_a_key_not_here_fails_the_keys():
    check = verify.check_keys(facts(answer=proved(key='another')),
                              expected())
    assert not check.ok
    assert check.detail.startswith("it verifies this site's signature, "
                                   "but this site does not verify its own")


def test_a_proof_under_key2_here_passes_the_keys():
    assert verify.check_keys(facts(answer=proved(key='old')),
                             expected(keys=(REALM_KEY, 'old'))).ok


def test_an_answer_without_proof_fails_the_keys():
    check = verify.check_keys(facts(answer=SiteAnswer(B, 204, '')),
                              expected())
    assert not check.ok
    assert 'with no proof: does it run autosync' in check.detail


def test_a_site_that_does_not_trust_this_one_fails_the_keys():
    check = verify.check_keys(facts(answer=refused(
        'origin //r1/a is not a cluster of realm R1, the realm of this site '
        'in container-sync-realms.conf')), expected())
    assert not check.ok
    assert check.detail.startswith('it does not trust this site')


def test_an_unanswered_read_fails_the_keys_unchecked():
    check = verify.check_keys(facts(answer=SiteAnswer(
        B, None, 'connection refused')), expected())
    assert check == Check(B, 'keys', False,
                          'not checked: connection refused')


def test_a_clock_within_the_window_passes():
    check = verify.check_clock(facts(answer=proved(at=SENT_AT + 30.1)),
                               expected())
    assert check == Check(B, 'clock', True, (
        '30.000 s ahead of this node (± 0.100 s); signature_window = 60 s'))


def test_a_clock_beyond_the_window_fails():
    check = verify.check_clock(facts(answer=proved(at=SENT_AT - 90)),
                               expected())
    assert not check.ok
    assert check.detail.startswith('90.100 s behind this node')
    assert 'NTP' in check.detail


def test_a_refused_read_gives_the_clock_by_its_date():
    answer = refused('signature time is outside the 60s window')
    answer.headers['date'] = email.utils.formatdate(SENT_AT, usegmt=True)
    check = verify.check_clock(facts(answer=answer, answered_at=SENT_AT),
                               expected(keys=('another',)))
    assert check.ok
    assert check.detail.startswith('0.500 s ahead of this node (± 0.500 s)')


def test_no_answer_leaves_the_clock_unchecked():
    check = verify.check_clock(facts(answer=SiteAnswer(
        B, None, 'connection refused')), expected())
    assert check == Check(B, 'clock', False,
                          'not checked: connection refused')


def test_this_site_is_not_checked_against_itself():
    here = facts(autosync_info(site=A), site=SITE_A, here=True)
    names = [check.name for check in verify.checks_of(here, expected())]
    assert names == ['endpoint', 'version', 'placement', 'pipeline']


def test_output_has_a_line_per_check_and_the_count_failed():
    shown = verify.output([Check(A, 'version', True, 'autosync 1'),
                           Check(B, 'keys', False, 'bad\nline')])
    assert shown.splitlines() == ['✓ %s version: autosync 1' % A,
                                  '✗ %s keys: bad\\nline' % B,
                                  '1 of 2 checks failed']


def test_exit_status_is_0_only_when_every_check_passed():
    assert verify.exit_status([Check(A, 'x', True, '')]) == 0
    assert verify.exit_status([Check(A, 'x', True, ''),
                               Check(B, 'y', False, '')]) == 1


def test_info_is_read_where_the_endpoint_ends_in_v1():
    realms = type('Realms', (), {
        'endpoint': lambda self, realm, cluster:
        'https://lb.example.com:443/swift/v1/'})()
    cfg = config.AutosyncConfig(SITE_A, (SITE_A,), None, None, False, False,
                                1, 1, WINDOW, '/etc/swift')
    assert verify.info_url(SiteDirectory(cfg, realms), SITE_B) == \
        'https://lb.example.com:443/swift/info'


# -- what a site shows and answers --

@pytest.fixture
def published(clean_registry, tmp_path, realms_conf):
    """The /info a proxy at A with autosync and a placement filter
    publishes."""
    written = realms_conf([('a', 'http://127.0.0.1:1'),
                           ('b', 'http://127.0.0.1:2')])
    filter_factory({'swift_dir': written.swift_dir},
                   autosync_my_cluster='//%s/a' % REALM,
                   autosync_placement='//%s/a, //%s/b' % (REALM, REALM))
    placement_factory({}, sites='//%s/a, //%s/b' % (REALM, REALM))
    return registry.get_swift_info()


def test_info_shows_the_version(published):
    assert published['autosync']['version'] == __version__


def test_info_of_a_proxy_without_a_conf_file_shows_no_pipeline(published):
    assert published['autosync']['auth_before'] is None


def test_info_shows_a_digest_of_the_placement_rules(published):
    digest = published['autosync_placement_filter']['rules_digest']
    assert len(digest) == 16
    placement_factory({}, sites='//%s/a, //%s/b' % (REALM, REALM),
                      default='//%s/b' % REALM)
    assert registry.get_swift_info()['autosync_placement_filter'][
        'rules_digest'] != digest


class InfoSwift(FakeSwift):
    """A FakeSwift that answers /info too."""

    def __init__(self, info):
        super().__init__()
        self.info = info

    def handle(self, req):
        if req.path == '/info':
            return Response(body=json.dumps(self.info).encode(),
                            content_type='application/json')
        return super().handle(req)


class Realm(object):
    """Sites a and b on loopback, each with its own realms conf; B's
    container ring names a container server on loopback, behind the
    records filter unless ``records`` is False."""

    def __init__(self, realms_conf, devices, records=True):
        self.realms_conf = realms_conf
        self.container_server = ContainerServer(devices, records=records)
        self.sites = {}
        for name in 'ab':
            site = PeerSite()
            site.swift = InfoSwift(autosync_info(
                site='//%s/%s' % (REALM, name),
                placement=self.placement.split(', ')))
            self.sites[name] = site

    @property
    def placement(self) -> str:
        return '//%s/a, //%s/b' % (REALM, REALM)

    def conf(self, **keys):
        return self.realms_conf([(name, site.url) for name, site in
                                 self.sites.items()], **keys)

    def serve(self, name, written):
        self.sites[name].serve(
            realms=written.load(), autosync_my_cluster='//%s/%s' % (
                REALM, name), autosync_placement=self.placement,
            swift_dir=written.swift_dir, override_auth='true')

    def verify_at_a(self, **b_keys):
        """The checks of ``autosync verify`` at A, B with ``b_keys``."""
        at_a = self.conf()
        self.serve('a', at_a)
        self.serve('b', self.conf(**b_keys) if b_keys else at_a)
        self.sites['b'].app.container_ring = FakeRing(
            [self.container_server.node], account=verify.VERIFY_ACCOUNT)
        cfg = config.parse({'autosync_my_cluster': '//%s/a' % REALM,
                            'autosync_placement': self.placement,
                            'swift_dir': at_a.swift_dir,
                            'node_timeout': '5'}, at_a.load())
        return verify.Verifier(cfg, SiteDirectory(cfg, at_a.load()),
                               FakeLogger()).run()

    def stop(self):
        for site in self.sites.values():
            site.stop()
        self.container_server.stop()


@pytest.fixture
def realm(realms_conf, tmp_path):
    made = Realm(realms_conf, tmp_path)
    yield made
    made.stop()


def failed(checks):
    return [(check.site, check.name) for check in checks if not check.ok]


def test_sites_with_one_key_pass_every_check(realm):
    checks = realm.verify_at_a()
    assert failed(checks) == []
    assert [(c.site, c.name) for c in checks][-3:] == [
        ('//%s/b' % REALM, 'keys'), ('//%s/b' % REALM, 'clock'),
        ('//%s/b' % REALM, 'records')]
    assert checks[-1].detail == ('its container servers answer batched '
                                 'reads (1 asked)')


def test_a_container_server_without_the_filter_fails_the_records(
        realms_conf, tmp_path):
    """B's container server is Swift's alone: it answers the batched
    read 400, named in the check with what to do."""
    realm = Realm(realms_conf, tmp_path, records=False)
    try:
        checks = realm.verify_at_a()
    finally:
        realm.stop()
    assert failed(checks) == [('//%s/b' % REALM, 'records')]
    detail = checks[-1].detail
    assert detail.startswith('1 of 1 container servers gave no records '
                             '(127.0.0.1:%d/sda: answered 400)' %
                             realm.container_server.node['port'])
    assert 'add autosync_records to their pipeline' in detail


def test_another_key_at_b_fails_its_keys_only(realm):
    checks = realm.verify_at_a(key='another')
    assert failed(checks) == [('//%s/b' % REALM, 'keys'),
                              ('//%s/b' % REALM, 'records')]
    assert checks[-1].detail.startswith('not checked: it refused the '
                                        'batched read (401 ')


def test_b_signing_with_a_key_a_lacks_fails_its_keys_only(realm):
    checks = realm.verify_at_a(key='another', key2=REALM_KEY)
    assert failed(checks) == [('//%s/b' % REALM, 'keys')]
    assert "but this site does not verify its own" in checks[-3].detail


def test_the_challenge_is_answered_by_autosync_alone(realm):
    realm.verify_at_a()
    reached = [call[1] for call in realm.sites['b'].swift.calls]
    assert reached == ['/info']
    # The batched read went to the container server only.
    assert [method for method, _, _ in
            realm.container_server.requests] == ['POST']


@pytest.mark.parametrize('signature, status', [
    (None, 404),  # a client's read, which Swift answers
    ('1 2 3', 401),
])
def test_a_challenge_is_answered_only_when_signed(realm, signature, status):
    realm.verify_at_a()
    headers = {VERIFY_CHALLENGE_HEADER: CHALLENGE}
    if signature:
        headers.update({AUTH_HEADER: signature, ORIG_CLUSTER_HEADER: A})
    resp = Request.blank('/v1/%s' % verify.VERIFY_ACCOUNT,
                         headers=headers).get_response(realm.sites['b'].app)
    assert resp.status_int == status
    assert VERIFY_PROOF_HEADER not in resp.headers


def test_a_realm_cluster_outside_the_placement_is_verified_too(
        realms_conf):
    written = realms_conf([('a', 'http://127.0.0.1:1'),
                           ('b', 'http://127.0.0.1:2'),
                           ('c', 'http://127.0.0.1:3')])
    cfg = config.parse({'autosync_my_cluster': '//%s/a' % REALM,
                        'autosync_placement': '//%s/a, //%s/b' % (
                            REALM, REALM),
                        'swift_dir': written.swift_dir}, written.load())
    verifier = verify.Verifier(cfg, SiteDirectory(cfg, written.load()),
                               FakeLogger())
    assert [(site.name, placed) for site, placed in verifier.sites()] == [
        ('//%s/a' % REALM, True), ('//%s/b' % REALM, True),
        ('//%s/c' % REALM, False)]


def test_a_signed_challenge_not_in_hex_is_refused(realm):
    realm.verify_at_a()
    b = realm.sites['b']
    cfg = config.parse({'autosync_my_cluster': A, 'swift_dir': '/'},
                       b.app.realms)
    request = SiteDirectory(cfg, b.app.realms).signed_request(
        parse_site(A), parse_site('//%s/b' % REALM), 'GET',
        verify.VERIFY_ACCOUNT, None, {VERIFY_CHALLENGE_HEADER: 'x' * 32})
    resp = Request.blank('/v1/%s' % verify.VERIFY_ACCOUNT,
                         headers=request.headers).get_response(b.app)
    assert resp.status_int == 400
    assert VERIFY_PROOF_HEADER not in resp.headers


@pytest.mark.parametrize('filters, shown', [
    ([('cache', 'memcache'), ('auth', 'keystoneauth'),
      ('autosync', 'autosync')], ['auth']),
    ([('cache', 'memcache'), ('autosync', 'autosync'),
      ('tempauth', 'tempauth')], []),
    ([('tempauth', 'tempauth')], None),
    (None, None),
])
def test_info_names_the_auth_filters_before_autosync(filters, shown):
    assert auth_before_autosync(filters) == shown
