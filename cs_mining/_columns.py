"""Which source column holds the case, the activity, the time, and each optional field?

The output column names (pm4py's conventions), the names looked for when a
column is not given, the matching of given or detected names to the columns
of the source (``"a+b"`` names a combined column), and the XES transitions a
column must hold to be mapped as lifecycle.
"""

from __future__ import annotations

import difflib
import re

from .errors import LogError

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
REQUIRED = (CASE, ACTIVITY, TIME)

# (keyword, output column, words used in messages, names detected when no keyword is given)
_ROLES = [
    ("case_column", CASE, "case",
     ["case:concept:name", "case_id", "Case ID", "CaseID", "case", "ticket_id", "ticket",
      "incident_id", "number", "SR Number", "request_id"]),
    ("activity_column", ACTIVITY, "activity",
     ["concept:name", "Activity", "ActivityID", "activity_name", "status", "incident_state",
      "event_name"]),
    ("timestamp_column", TIME, "timestamp",
     ["time:timestamp", "Complete Timestamp", "timestamp", "sys_updated_at",
      "Change Date+Time", "event_time", "end_timestamp", "end_time", "time", "datetime"]),
    ("resource_column", "org:resource", "resource",
     ["org:resource", "Resource", "agent", "assigned_to", "agent_id", "user"]),
    ("team_column", "org:group", "team",
     ["org:group", "team", "assignment_group", "group", "support_group", "queue"]),
    ("channel_column", "channel", "channel", ["channel", "contact_type", "contact_channel"]),
    ("request_type_column", "request_type", "request type",
     ["request_type", "ticket_type", "issue_type", "service_type", "category"]),
    ("customer_column", "customer", "customer",
     ["customer", "customer_id", "caller_id", "client", "requester"]),
    ("priority_column", "priority", "priority", ["priority", "severity"]),
    ("satisfaction_column", "satisfaction", "satisfaction",
     ["satisfaction", "csat", "satisfaction_score", "survey_score", "complaint"]),
    ("lifecycle_column", "lifecycle:transition", "lifecycle",
     ["lifecycle:transition", "lifecycle", "transition"]),
    ("start_timestamp_column", "start_timestamp", "start timestamp",
     ["start_timestamp", "Start Timestamp", "start_time", "time:start"]),
]

_OUTPUTS = frozenset(r[1] for r in _ROLES)

#: Lifecycle transitions of the XES standard lifecycle extension.
STANDARD_TRANSITIONS = frozenset({
    "schedule", "assign", "withdraw", "reassign", "start", "suspend", "resume",
    "pi_abort", "ate_abort", "complete", "autoskip", "manualskip", "unknown"})


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _quote_list(names) -> str:
    return ", ".join(repr(str(n)) for n in names)


def _resolve(expr: str, columns: list[str], role: str, keyword: str, shown: str) -> list[str]:
    if expr in columns:
        return [expr]
    parts = expr.split("+")

    def split(i: int):
        if i == len(parts):
            return []
        for j in range(len(parts), i, -1):
            name = "+".join(parts[i:j])
            if name in columns and (rest := split(j)) is not None:
                return [name] + rest
        return None

    found = split(0) if len(parts) > 1 else None
    if found:
        return found
    by_norm = {_norm(c): c for c in columns}
    guess = by_norm.get(_norm(expr)) or next(
        iter(difflib.get_close_matches(expr, columns, n=1, cutoff=0.6)), None)
    hint = f"did you mean {guess!r}?" if guess else f"columns are {_quote_list(columns)}"
    raise LogError(f"{role} column {expr!r} not found; {hint} "
                   f"(--{keyword.replace('_', '-')})", path=shown, column=expr)


def _map_columns(columns: list[str], given: dict, shown: str):
    mapping, parts, detected, used = {}, {}, [], set()
    for keyword, out, role, _ in _ROLES:
        expr = given.get(keyword)
        if expr:
            parts[out] = _resolve(str(expr), columns, role, keyword, shown)
            mapping[out] = str(expr)
            used.update(parts[out])
    for keyword, out, role, names in _ROLES:
        if out in mapping or given.get(keyword) is False:
            continue
        # a lifecycle column may also be part of a combined activity (BPIC 2013)
        combined = {c for p in parts.values() if len(p) > 1 for c in p}
        taken = used - combined if out == "lifecycle:transition" else used
        free = {}
        for c in columns:
            if c not in taken:
                free.setdefault(_norm(c), c)
        hit = next((free[_norm(n)] for n in names if _norm(n) in free), None)
        if hit is None:
            if out in REQUIRED:
                flag = "--" + keyword.replace("_", "-")
                raise LogError(f"no {role} column found; columns are {_quote_list(columns)} "
                               f"(use {flag})", path=shown, column=None)
            continue
        parts[out], mapping[out] = [hit], hit
        detected.append(out)
        used.add(hit)
    order = [r[1] for r in _ROLES]
    mapping = {k: mapping[k] for k in order if k in mapping}
    return mapping, parts, [d for d in order if d in detected]
