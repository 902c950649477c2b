"""The workspace: the signed-in home page, what waits for each person ("What needs you").

| module | holds |
|---|---|
| `queries.py` | `workspace()`: the lists `policy.workspace_tasks` gives a person, each one statement through policy |
| `lists.py` | a list's lines (`Item`) and the list (`TaskList`), the conditions the lists share |
| `speakers.py`, `staff.py`, `accounts.py` | the lists of participants and focal points; of staff; of administrators |
| `progress.py` | staff: a progress line per round in progress |

The lists a person sees are `policy.workspace_tasks(viewer)` (by permission). The page itself is
`consultations.index` for signed-in people (anonymous visitors keep the consultations list);
this room has no views of its own.
"""
