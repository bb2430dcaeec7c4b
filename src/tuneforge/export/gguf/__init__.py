"""Pure-Python HF → GGUF conversion on the `gguf` package: architectures (arch), tensor names, layout and
types (tensors), tokenizer metadata (vocab), and the writer (write)."""
