"""The narrator device: daemon, hardware I/O, job pipeline and the `narrator` command."""
