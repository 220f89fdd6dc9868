"""Another site reading an object it does not hold yet (its
``read_fallback``, see ``read_fallback.py``): verify it, answer it from
this site's own store only.

The request is a GET or HEAD of ``/v1/<account>/<container>/<object>``
with ``X-Orig-Cluster`` and an ``X-Autosync-Auth`` signature over the
method, the path and the query (``?multipart-manifest=get`` changes what
is read), checked as every peer request is (``peer_change.py``): 401
when it does not verify, 503 when this site cannot tell now whether it
saw it. A verified read acts as the account owner under
``override_auth``; otherwise the token it carries (``forward_auth_token``)
is checked by this site's auth. It is never read from yet another site:
no fallback of a fallback, no loop between sites. A 404 that found the
object deleted here says when in ``X-Autosync-Deleted-At``, so that the
reading site does not take an older copy from a site asked after this
one. A site serves such
reads whatever its own ``read_fallback`` says, so the option can be
turned on one site at a time.
"""

from swift.common.swob import Response, wsgi_to_str

from autosync.peer_change import PeerChange
from autosync.protocol import BACKEND_TIMESTAMP, DELETED_AT_HEADER


class PeerRead(PeerChange):

    def __init__(self, filt, req, account: str, container: str, obj: str):
        super().__init__(filt, req, account, container)
        self.obj = wsgi_to_str(obj)

    def respond(self) -> Response:
        refusal = self.accept('as:peer-read')
        if refusal:
            return refusal
        if self.cfg.override_auth:
            self.act_as_owner(reseller=False)
        resp = self.local_response()
        deleted_at = resp.headers.get(BACKEND_TIMESTAMP)
        if resp.status_int == 404 and deleted_at:
            resp.headers[DELETED_AT_HEADER] = deleted_at
        return resp
