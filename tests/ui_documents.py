"""The web UI's own GraphQL documents, verbatim, shared by every test that needs them."""

#: The sidebar, dashboard and workflows table share this subscription (web-api §6.4), here
#: with the Workflows table open, so the workflow is selected twice (overlapping fields).
APP_SUBSCRIPTION = """
subscription App {
  deltas {
    id
    added {
      ...AddedDelta
      workflow { ...WorkflowData }
    }
    updated(stripNull: true) {
      ...UpdatedDelta
      workflow { ...WorkflowData }
    }
    pruned { workflow }
  }
}

fragment AddedDelta on Added { workflow { ...WorkflowData } }
fragment UpdatedDelta on Updated { workflow { ...WorkflowData } }

fragment WorkflowData on Workflow {
  id
  status
  statusMsg
  stateTotals
  logRecords { level message }
  latestStateTasks(states: ["failed", "preparing", "submit-failed", "submitted", "running"])
  cylcVersion
  owner
  host
  port
}
"""

#: Every workspace view (toolbar, tree, table, graph) shares this one (web-api §6.5).
WORKFLOW_SUBSCRIPTION = """
subscription Workflow($workflowId: ID) {
  deltas(workflows: [$workflowId]) {
    added { ...AddedDelta }
    updated(stripNull: true) { ...UpdatedDelta }
    pruned { ...PrunedDelta }
    id
  }
}

fragment WorkflowData on Workflow {
  id
  status
  statusMsg
  nEdgeDistance
  cylcVersion
  reloaded
}

fragment AddedDelta on Added {
  workflow { ...WorkflowData }
  familyProxies { ...FamilyProxyData }
  taskProxies { ...TaskProxyData }
  jobs { ...JobData }
  edges { ...EdgeData }
}

fragment UpdatedDelta on Updated {
  workflow { ...WorkflowData }
  familyProxies { ...FamilyProxyData }
  taskProxies { ...TaskProxyData }
  jobs { ...JobData }
  edges { ...EdgeData }
}

fragment PrunedDelta on Pruned {
  workflow
  familyProxies
  taskProxies
  jobs
  edges
}

fragment FamilyProxyData on FamilyProxy {
  __typename
  id
  state
  ancestors { name }
  childTasks { id }
}

fragment TaskProxyData on TaskProxy {
  id
  state
  isHeld
  isQueued
  isRunahead
  isRetry
  isWallclock
  isXtriggered
  task { meanElapsedTime }
  firstParent { id }
  runtime { runMode }
  flowNums
  name
}

fragment JobData on Job {
  id
  jobRunnerName
  jobId
  platform
  startedTime
  submittedTime
  finishedTime
  state
  submitNum
  messages
  taskProxy { outputs(satisfied: true) { label message } }
  name
}

fragment EdgeData on Edge {
  id
  source
  target
}
"""
