"""Turn what each site answered into the one answer the client gets.

Pure functions over ``SiteAnswer`` lists; the local site is one of them.

* PUT/POST: success only when every site answered 2xx.
* DELETE: every site 2xx or 404 with at least one 2xx -> 204; 404 at every
  site -> 404; a 409 anywhere -> 409 naming those sites; any other failure
  -> 503 naming the failing sites.
"""

import json
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from swift.common.http import HTTP_CONFLICT, HTTP_NOT_FOUND, is_success


@dataclass(frozen=True)
class SiteAnswer:
    site: str
    status: Optional[int]
    detail: str = ''
    # The peer's response headers, lower-cased (HEAD answers are read).
    headers: dict = field(default_factory=dict, compare=False, hash=False,
                          repr=False)
    # The whole body, when the caller asked for it (a listing).
    body: bytes = field(default=b'', compare=False, hash=False, repr=False)
    # No answer within conn_timeout or node_timeout (error_limiting.py).
    timed_out: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status is not None and is_success(self.status)

    def describe(self) -> str:
        if self.status is None:
            return self.detail
        return ('%d %s' % (self.status, self.detail)).strip()

    def as_dict(self) -> dict:
        return {'site': self.site, 'status': self.status,
                'detail': self.detail}


def failures(answers: Sequence[SiteAnswer]) -> List[SiteAnswer]:
    return [a for a in answers if not a.ok]


def delete_outcome(
        answers: Sequence[SiteAnswer]) -> Tuple[int, List[SiteAnswer]]:
    """(status for the client, the sites that explain it)."""
    conflicts = [a for a in answers if a.status == HTTP_CONFLICT]
    if conflicts:
        return HTTP_CONFLICT, conflicts
    broken = [a for a in answers
              if not a.ok and a.status != HTTP_NOT_FOUND]
    if broken:
        return 503, broken
    if any(a.ok for a in answers):
        return 204, []
    return HTTP_NOT_FOUND, []


def render(message: str, answers: Sequence[SiteAnswer],
           accept: str = '') -> Tuple[bytes, str]:
    """(body, content type): JSON when the client accepts it, else text
    with one line per site."""
    if 'application/json' in (accept or ''):
        body = json.dumps({'message': message,
                           'sites': [a.as_dict() for a in answers]})
        return body.encode('utf-8'), 'application/json; charset=utf-8'
    lines = [message] + ['  %s: %s' % (a.site, a.describe())
                         for a in answers]
    return ('\n'.join(lines) + '\n').encode('utf-8'), \
        'text/plain; charset=utf-8'
