"""GraphQL over HTTP and WebSocket: tornado handlers and the two websocket protocols."""
