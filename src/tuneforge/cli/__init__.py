"""Layer 7: the `tuneforge` command."""
