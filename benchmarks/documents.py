"""The GraphQL documents the benchmark clients send.

The two subscriptions are the web UI's own (web-api §6.4 and §6.5, UI 2.9.0),
verbatim except for one addition: ``lastUpdated`` in ``WorkflowData``. Both
schemas have that field; it carries the scheduler's batch time, which is what
delivery latency is measured against.
"""

from __future__ import annotations

from tests import ui_documents as _ui

__all__ = ["WORKFLOW_SUBSCRIPTION", "APP_SUBSCRIPTION", "CHECK_QUERY", "COUNT_QUERY"]

#: The workspace subscription (web-api §6.5) plus ``lastUpdated``.
WORKFLOW_SUBSCRIPTION = _ui.WORKFLOW_SUBSCRIPTION.replace("  reloaded\n", "  reloaded\n  lastUpdated\n", 1)
assert "lastUpdated" in WORKFLOW_SUBSCRIPTION

#: The sidebar subscription (web-api §6.4) plus ``lastUpdated``.
APP_SUBSCRIPTION = _ui.APP_SUBSCRIPTION.replace("  port\n}", "  port\n  lastUpdated\n}", 1)
assert "lastUpdated" in APP_SUBSCRIPTION

# The correctness check asks over HTTP for exactly the fields the workspace
# subscription selects, so a client's merged store can be compared field by
# field. Jobs come through ``workflows`` because the root ``jobs`` field is
# the history-capable ``UISJob`` type. (``reloaded`` and ``lastUpdated`` are left out of the comparison.)
_FRAGMENTS = WORKFLOW_SUBSCRIPTION[WORKFLOW_SUBSCRIPTION.index("fragment FamilyProxyData"):]

#: Every element of one workflow, with the workspace subscription's fields.
CHECK_QUERY = """
query Check($ids: [ID]) {
  workflows(ids: $ids) {
    id status statusMsg nEdgeDistance cylcVersion
    jobs { ...JobData }
  }
  taskProxies(workflows: $ids) { ...TaskProxyData }
  familyProxies(workflows: $ids) { ...FamilyProxyData }
  edges(workflows: $ids) { ...EdgeData }
}
""" + _FRAGMENTS

#: How many task proxies each workflow has right now.
COUNT_QUERY = """
query Count($ids: [ID]) {
  taskProxies(workflows: $ids) { id }
}
"""
