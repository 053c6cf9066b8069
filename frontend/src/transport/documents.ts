/**
 * The subscription documents (web-api §6.4, §6.5). `Workflow` also selects
 * `cyclePoint`, `name` and families' `firstParent`, so the tree can be built
 * without parsing IDs, and `graphDepth` to dim tasks outside n=0.
 */

export const APP_SUBSCRIPTION = `subscription App {
  deltas {
    id
    added { ...AddedDelta }
    updated(stripNull: true) { ...UpdatedDelta }
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
}`

export const WORKFLOW_SUBSCRIPTION = `subscription Workflow($workflowId: ID) {
  deltas(workflows: [$workflowId]) {
    id
    added { ...AddedDelta }
    updated(stripNull: true) { ...UpdatedDelta }
    pruned { ...PrunedDelta }
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
}
fragment UpdatedDelta on Updated {
  workflow { ...WorkflowData }
  familyProxies { ...FamilyProxyData }
  taskProxies { ...TaskProxyData }
  jobs { ...JobData }
}
fragment PrunedDelta on Pruned {
  workflow
  familyProxies
  taskProxies
  jobs
}
fragment FamilyProxyData on FamilyProxy {
  id
  name
  cyclePoint
  state
  isHeld
  isQueued
  isRunahead
  firstParent { id }
}
fragment TaskProxyData on TaskProxy {
  id
  name
  cyclePoint
  state
  isHeld
  isQueued
  isRunahead
  isRetry
  isWallclock
  isXtriggered
  graphDepth
  task { meanElapsedTime }
  firstParent { id }
  runtime { runMode }
  flowNums
}
fragment JobData on Job {
  id
  submitNum
  state
  jobRunnerName
  jobId
  platform
  submittedTime
  startedTime
  finishedTime
  messages
}`

export const INTROSPECTION_COMMANDS = `query IntrospectionQuery {
  __schema {
    mutationType {
      name
      fields {
        name
        description
        args { name description defaultValue type { ...TypeRef } }
      }
    }
    types { kind name enumValues { name } }
  }
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}`
