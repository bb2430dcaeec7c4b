"""Layer 0: standard-library-only building blocks shared by every other package."""
