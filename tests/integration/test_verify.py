"""``autosync verify`` on the pair: every check passes on a healthy
pair; with a wrong realm key at B (either way), B stopped, or B's
placement filter other than A's, it fails naming that fault, and only
that one. A fault is made by restarting B's proxy with one file
changed, and undone by ``autosync-pair up``, which writes every conf
again."""

import contextlib
import re
import subprocess
import sys

from autosync.pair import control, process, services

from e2e_helpers import pair_of_its_own, realm_sites, stopped

# Every site in the same placement filter: its rules are compared too.
PLACEMENT = """[filter:placement]
use = egg:swift-autosync#placement
sites = %s
""" % realm_sites('ab')
# Per site: endpoint, version, placement, pipeline; for B, keys and
# clock and records too.
CHECKS = 11

duo = pair_of_its_own(placement_conf=PLACEMENT)


def verify_at_a(duo, conf=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-m', 'autosync.cli', 'verify', '--conf',
         conf or duo.layout.conf('a', 'autosync-reconciler.conf')],
        capture_output=True, text=True, timeout=120)


def failed_lines(done: subprocess.CompletedProcess) -> list:
    return [line for line in done.stdout.splitlines()
            if line.startswith('✗')]


@contextlib.contextmanager
def proxy_restarted_with(duo, cluster: str, name: str, change):
    """``cluster``'s proxy restarted with its conf file ``name``
    rewritten by ``change(text)``; after the block, the file as it was
    and the proxy started again by ``autosync-pair up``."""
    path = duo.layout.conf(cluster, name)
    pid_file = duo.layout.pid_file(cluster, services.PROXY.name)
    with open(path) as f:
        original = f.read()
    process.stop([pid_file])
    try:
        with open(path, 'w') as f:
            f.write(change(original))
        control.start_service(duo.layout, duo.settings, cluster,
                              services.PROXY)
        control.wait_for_servers(duo.layout, duo.settings,
                                 [(cluster, services.PROXY)])
        yield
    finally:
        process.stop([pid_file])
        with open(path, 'w') as f:
            f.write(original)
        duo.run('up')


def test_verify_passes_on_a_healthy_pair(duo):
    done = verify_at_a(duo)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == 'all %d checks passed' % CHECKS
    assert all(line.startswith('✓ ') for line in lines[:-1]), lines
    assert '✓ //autosync/b keys: it verifies this site\'s signature, ' \
        'this site verifies its own' in lines
    assert any(line.startswith('✓ //autosync/b clock: ') for line in lines)
    assert '✓ //autosync/b placement: //autosync/a, //autosync/b, the ' \
        'same placement filter rules' in lines
    assert '✓ //autosync/b pipeline: autosync after tempauth' in lines
    # B's container server (one: a one-replica pair) answered A's
    # batched read of a container nobody has: its filter is there.
    assert '✓ //autosync/b records: its container servers answer ' \
        'batched reads (1 asked)' in lines


def test_verify_names_another_realm_key_at_b(duo):
    def wrong_key(text):
        return re.sub(r'(?m)^key = .*$', 'key = not-the-realm-key', text)

    with proxy_restarted_with(duo, 'b', 'container-sync-realms.conf',
                              wrong_key):
        done = verify_at_a(duo)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = failed_lines(done)
    assert len(failed) == 2, done.stdout
    assert failed[0].startswith(
        "✗ //autosync/b keys: it does not verify this site's signature "
        "(401 "), failed
    assert failed[0].endswith(
        'make the key of realm AUTOSYNC in container-sync-realms.conf the '
        'same at every site'), failed
    # The batched read is refused too: its check says so, unchecked.
    assert failed[1].startswith(
        '✗ //autosync/b records: not checked: it refused the batched '
        'read (401 '), failed
    assert done.stdout.splitlines()[-1] == '2 of %d checks failed' % CHECKS


def test_verify_names_a_key_b_takes_but_does_not_sign_with(duo):
    """B accepts A's key as its key2 but signs with another: A's
    requests get in, B's would not. Only the signed-back proof shows
    it."""
    def signing_with_another(text):
        key = re.search(r'(?m)^key = (.*)$', text).group(1)
        return text.replace('key = %s' % key,
                            'key = not-the-realm-key\nkey2 = %s' % key)

    with proxy_restarted_with(duo, 'b', 'container-sync-realms.conf',
                              signing_with_another):
        done = verify_at_a(duo)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = failed_lines(done)
    assert len(failed) == 1, done.stdout
    assert failed[0].startswith(
        "✗ //autosync/b keys: it verifies this site's signature, but this "
        "site does not verify its own"), failed


def test_verify_names_a_stopped_site(duo):
    with stopped(duo.b):
        done = verify_at_a(duo)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = failed_lines(done)
    assert failed[0] == (
        '✗ //autosync/b endpoint: %s/info: connection refused: start its '
        'proxy, or fix its endpoint (cluster_b in '
        'container-sync-realms.conf)' % duo.b.proxy_url), failed
    # A's own checks pass; every check of B fails, none passes.
    assert all(line.startswith('✗ //autosync/b ') for line in failed)
    assert len(failed) == CHECKS - 4, done.stdout


def test_verify_names_a_placement_filter_other_than_a_s(duo):
    def only_b_by_default(text):
        line = 'sites = %s\n' % realm_sites('ab')
        assert line in text
        return text.replace(line, line + 'default = //autosync/b\n')

    with proxy_restarted_with(duo, 'b', 'proxy-server.conf',
                              only_b_by_default):
        done = verify_at_a(duo)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = failed_lines(done)
    assert len(failed) == 1, done.stdout
    assert failed[0].startswith(
        '✗ //autosync/b placement: its placement filter differs (rules '), \
        failed
    assert failed[0].endswith(
        'make [filter:placement] the same at every site'), failed


def test_verify_with_a_conf_naming_no_site_exits_2(duo, tmp_path):
    with open(duo.layout.conf('a', 'autosync-reconciler.conf')) as f:
        text = f.read()
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text(re.sub(r'(?m)^autosync_(my_cluster|placement) =.*$',
                           '', text))
    done = verify_at_a(duo, str(conf))
    assert done.returncode == 2
    assert 'autosync_my_cluster' in done.stderr
    assert done.stdout == ''
