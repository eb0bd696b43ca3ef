"""Record: suggestions, the model's stored predictions, and how the API shows them."""
