"""Layer 3: canonical examples + template + tokenizer → training features (input_ids, labels)."""
