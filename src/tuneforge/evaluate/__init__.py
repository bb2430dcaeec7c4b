"""Layer 5: measuring models — batch prediction with BLEU/ROUGE, and multiple-choice benchmarks."""
