"""Layer 4: training stages — short linear recipes over the Hugging Face trainers."""
