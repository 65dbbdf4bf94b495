"""The narrator's models: the poetic char-LSTM, its training, and the captioners."""
