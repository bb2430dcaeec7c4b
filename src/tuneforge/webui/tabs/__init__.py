"""One module per tab; each builds its components inside the current gradio Blocks."""
