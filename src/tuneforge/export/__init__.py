"""Export: merge adapters into their base (merge), write a transformers folder or a GGUF file (gguf) with an
Ollama Modelfile (modelfile), and check what was written against its source (verify)."""
