"""What only an account's owner may set, as Swift decides it.

Another site applies a change as the owner (``override_auth``), so it
must get only what this site's proxy honoured for the client:

* the proxy's ``swift_owner_headers``, which it drops from a request by
  anyone but the owner (never forwarded for a non-owner). Their
  X-Remove- forms it honours from anyone: those are forwarded, so that
  every site removes what this one did;
* tempauth's account ACL, ``X-Account-Access-Control``, which tempauth's
  authorize() validates and stores as sysmeta; a peer under
  ``override_auth`` does the same, since tempauth's authorize is not
  called there.

Pure, but for reading the proxy's option off the pipeline.
"""

import json

from swift.common.middleware.acl import parse_acl

from autosync.protocol import DEFAULT_OWNER_HEADERS

# How far down the pipeline to look for the proxy app.
MAX_PIPELINE_DEPTH = 64
TEMPAUTH_ACL_KEYS = ('admin', 'read-write', 'read-only')


def owner_only_headers(app) -> frozenset:
    """The lower-cased headers the proxy keeps from anyone but the owner:
    its swift_owner_headers (an option of the proxy app, at the end of
    the pipeline below ``app``)."""
    names = DEFAULT_OWNER_HEADERS
    for _ in range(MAX_PIPELINE_DEPTH):
        if hasattr(app, 'swift_owner_headers'):
            names = app.swift_owner_headers
            break
        app = getattr(app, 'app', None)
        if app is None:
            break
    return frozenset(name.lower() for name in names)


def account_acl_error(value: str) -> str:
    """Why tempauth would refuse ``value`` as an account ACL; '' if it
    would not."""
    acl = parse_acl(version=2, data=value)
    if acl is None:
        return 'not a JSON object: %r' % value
    for key, grantees in acl.items():
        if key not in TEMPAUTH_ACL_KEYS:
            return 'key %s not recognized' % json.dumps(key)
        if not isinstance(grantees, list) or \
                not all(isinstance(g, str) for g in grantees):
            return 'the value of %s must be a list of strings' % \
                json.dumps(key)
    return ''
