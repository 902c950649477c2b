"""Helpers shared by the suites, one module for each thing they support:

- `clients.py`: the isolated test client (every app's `test_client()`), CSRF tokens, POSTs,
  signing in, and what every response must carry;
- `state.py`: the test session's view of the database (`fresh`, `release`, snapshots, counts);
- `world.py`: the viewers and the world of objects the access matrix, the parameter sweep and
  the crawler point at, and the URL of each rule;
- `html.py`: links, options and attributes read out of a page.

Builders of rows (`make_*`) are in `tests/factories.py`.
"""

# The digest suites (reworked on main at the same time) import these two from here.
from tests.support.clients import post
from tests.support.state import fresh

__all__ = ["fresh", "post"]
