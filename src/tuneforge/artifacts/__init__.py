"""Layer 2: run directories — what a training run leaves behind, and how later commands find it."""
