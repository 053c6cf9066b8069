"""The GraphQL API: schema, resolvers over the replicas, execution and subscriptions."""
