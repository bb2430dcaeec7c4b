"""Layer 4: the one generation path (chat CLI, API server, predict and the web UI build on it)."""
