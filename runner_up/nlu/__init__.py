"""The project's own Rasa NLU components (spaCy set-up, tokenizer, encoder, emotion and stage)."""
