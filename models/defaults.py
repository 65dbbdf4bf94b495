"""The numbers a poem is written with unless someone says otherwise, in one light module that
the command line, the config and the writer all read (importing it loads no torch)."""
from pathlib import Path

MAX_COPY = 40          # a stanza copying this many corpus characters verbatim is resampled
RETRIES = 3            # resampling attempts per copying stanza
NO_REPEAT = True       # no content word a third time in a stanza (models/repeats.py), by subject_bench.py
KEEP_SUBJECT = 2.5     # nats of pull toward the caption's words (models/subject.py), by subject_bench.py

# Limits a voice must keep, in the config file and on the command line alike: each job must
# finish in seconds.
MAX_TEMPERATURES, MAX_TEMPERATURE = 16, 5.0
MAX_LENGTH = 20000     # characters per stanza (the kill-mid-poem test needs long poems)
MAX_PRESEED = 4000
MAX_KEEP_SUBJECT = 10.0
MAX_CAPTION = 200      # characters of caption a poem starts from; longer ones are cut at a word


SHIPPED_DIR = Path(__file__).parent / "shipped"   # the shipped voices and eyes


PLACES = {"{caption}": str, "{Caption}": lambda c: c[:1].upper() + c[1:], "{CAPTION}": str.upper}   # seed templates


def template_ok(template: str) -> bool:
    """A seed template (a voice's form: "{Caption}, n. ") holds the caption exactly once."""
    return sum(template.count(k) for k in PLACES) == 1
