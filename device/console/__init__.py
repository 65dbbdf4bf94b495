"""The console: a web page from the daemon's process for the person who runs the installation
(what printed, is the printer all right, press, reprint, turn the knob), and its JSON API.
Off unless console.listen (or `narrator run --console`) says where to listen."""
from .server import ConsoleError, serve_console

__all__ = ["ConsoleError", "serve_console"]
