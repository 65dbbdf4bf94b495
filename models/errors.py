"""The one exception base of models/: anything a model, checkpoint, corpus, index or image
cannot do raises a ModelError whose message names the file and what to do. The CLI prints
it in one line. Each subclass also keeps the built-in kind it always was (ValueError, ...)."""


class ModelError(Exception):
    pass
