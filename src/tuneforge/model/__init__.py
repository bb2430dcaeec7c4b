"""Layer 3: tokenizer and model loading, adapters (LoRA family, freeze), and tiny local models for tests."""
