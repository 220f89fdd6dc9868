"""``autosync wait`` (wait.py): listings compared, and the loop's exit
status, with a fake inspector and clock."""

from types import SimpleNamespace

from autosync.wait import Waiter, compare, listing

from helpers import A, B


def entries(**etags):
    return [{'name': name, 'hash': etag} for name, etag in etags.items()]


def test_the_same_names_and_etags_are_in_sync():
    same, line = compare({A: listing(entries(o='1', p='2')),
                          B: listing(entries(p='2', o='1'))})
    assert same
    assert line == '%s: 2 objects; %s: 2 objects' % (A, B)


def test_a_missing_object_is_counted_at_the_site_lacking_it():
    same, line = compare({A: listing(entries(o='1', p='2')),
                          B: listing(entries(o='1'))})
    assert not same
    assert line == '%s: 2 objects; %s: 1 object, 1 missing or different' % (
        A, B)


def test_another_etag_is_a_difference_at_both_sites():
    same, line = compare({A: listing(entries(o='1')),
                          B: listing(entries(o='2'))})
    assert not same
    assert line.count('1 missing or different') == 2


def test_a_site_that_cannot_list_is_not_in_sync():
    same, line = compare({A: listing(entries()), B: listing(None)})
    assert not same
    assert line == '%s: 0 objects; %s: could not list' % (A, B)


class FakeSite(object):
    def __init__(self, answers):
        self.answers = answers

    def list_objects(self, account, container):
        return self.answers.pop(0) if len(self.answers) > 1 \
            else self.answers[0]


def inspector(at_a, at_b, version='1', exists=(True, True)):
    sites = {A: FakeSite(at_a), B: FakeSite(at_b)}
    placement = [SimpleNamespace(name=A), SimpleNamespace(name=B)]
    found = SimpleNamespace(
        placement=placement, version=version,
        states={A: SimpleNamespace(exists=exists[0]),
                B: SimpleNamespace(exists=exists[1])},
        diagnosis=SimpleNamespace(verdict='not found at any site'))
    return SimpleNamespace(inspect=lambda account, container: found,
                           cluster=lambda site: sites[site.name])


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(fake, timeout=10, interval=2):
    lines, clock = [], Clock()
    code = Waiter(fake, lines.append, clock, clock.sleep).wait(
        'AUTH_test', 'c', timeout, interval)
    return code, lines, clock.now


def test_wait_returns_0_once_b_lists_what_a_lists():
    one = (entries(o='1'), '')
    fake = inspector([one], [(entries(), ''), (entries(), ''), one])
    code, lines, waited = run(fake)
    assert code == 0 and waited == 4
    assert lines[0].startswith('AUTH_test/c: waiting: ')
    assert lines[-1] == 'AUTH_test/c: in sync: %s: 1 object; %s: 1 object' \
        % (A, B)


def test_wait_returns_1_at_the_timeout_saying_what_differs():
    fake = inspector([(entries(o='1'), '')], [(entries(), '')])
    code, lines, waited = run(fake, timeout=5)
    assert code == 1 and waited == 6
    assert lines[-1] == ('AUTH_test/c: not in sync after 5 s: %s: 1 object; '
                         '%s: 0 objects, 1 missing or different' % (A, B))


def test_a_container_missing_at_a_site_is_not_in_sync():
    fake = inspector([(entries(), '')], [(entries(), '')],
                     exists=(True, False))
    code, lines, _ = run(fake, timeout=0)
    assert code == 1
    assert 'missing at %s' % B in lines[-1]


def test_a_container_no_site_holds_is_nothing_to_wait_for():
    fake = inspector([(None, 'gone')], [(None, 'gone')], version='')
    code, lines, _ = run(fake)
    assert code == 2
    assert lines == ['AUTH_test/c: not found at any site: nothing to wait '
                     'for']
