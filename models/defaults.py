"""The numbers a poem is written with unless someone says otherwise, in one light module that
the command line, the config and the writer all read (importing it loads no torch)."""

MAX_COPY = 40          # a stanza copying this many corpus characters verbatim is resampled
RETRIES = 3            # resampling attempts per copying stanza
KEEP_SUBJECT = 2.5     # nats of pull toward the caption's words (models/subject.py), by subject_bench.py
