"""Layer 6: the OpenAI-compatible HTTP server over an inference engine (binds 127.0.0.1 unless told)."""
