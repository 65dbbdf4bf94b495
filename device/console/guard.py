"""Who may reach the console, before any route runs: a pure ASGI middleware.

- Host: only the listen address (on loopback, localhost too; on 0.0.0.0 or ::, any address
  of the machine, written as an IP) or a name in console.names: a DNS-rebinding page, which
  needs a name of its own, gets 421 and reads nothing.
- POSTs: `Content-Type: application/json`, and either a valid token or an Origin (else Referer)
  of this very console: a cross-site form or a text/plain fetch cannot press the button.
- Bodies: at most MAX_BODY bytes, refused (413) before they are read.
- Token (when set): every route needs it, as `Authorization: Bearer ...` or the cookie the page
  gets when opened once as /?token=... (HttpOnly, SameSite=Strict), then the address is cleaned.
- Every response carries nosniff, a content-security policy with no framing, no referrer and
  no caching.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from base64 import b64encode
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 4096
COOKIE = "narrator-token"


def inline_hashes(html: str, tag: str) -> str:
    """CSP sources for the page's own inline <script>/<style> blocks, by their sha256."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    return " ".join(f"'sha256-{b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)


class Guard:
    def __init__(self, app, listen: str, token: str = "", names: tuple[str, ...] = (), page: str = ""):
        self.app, self.token = app, token
        host, _, self.port = listen.rpartition(":")
        hosts = {listen, *(f"{n}:{self.port}" for n in names)}
        if host in ("127.0.0.1", "[::1]", "localhost"):
            hosts |= {f"localhost:{self.port}", f"127.0.0.1:{self.port}", f"[::1]:{self.port}"}
        self.hosts = {h.lower() for h in hosts}
        self.any_ip = host in ("0.0.0.0", "[::]")
        csp = (f"default-src 'self'; img-src 'self'; script-src {inline_hashes(page, 'script') or 'self'}; "
               f"style-src {inline_hashes(page, 'style') or 'self'}; frame-ancestors 'none'; base-uri 'none'; "
               "form-action 'self'")
        self.security = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"content-security-policy", csp.encode()), (b"referrer-policy", b"no-referrer"),
                         (b"cache-control", b"no-store")]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def secured(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + self.security)
            await send(message)

        async def answer(code: int, error: str, extra=()):
            body = json.dumps({"error": error}).encode()
            await secured({"type": "http.response.start", "status": code,
                           "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                       *extra]})
            await send({"type": "http.response.body", "body": body})

        host = headers.get("host", "").lower()
        if not self.host_ok(host):
            return await answer(421, f"this console answers to {', '.join(sorted(self.hosts))}, not {host!r}")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if self.token and scope["path"] == "/" and query.get("token"):
            if not self.valid(query["token"][0]):
                return await answer(401, "wrong token")
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await secured({"type": "http.response.start", "status": 303,
                           "headers": [(b"location", b"/"), (b"set-cookie", cookie.encode()), (b"content-length", b"0")]})
            return await send({"type": "http.response.body", "body": b""})
        authorised = not self.token or self.valid(self.given(headers))
        if not authorised:
            return await answer(401, "a token is needed: open /?token=... once, or send Authorization: Bearer TOKEN")
        if scope["method"] == "POST":
            if headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return await answer(415, "POSTs must be application/json")
            bearer = self.token and self.valid(headers.get("authorization", "").removeprefix("Bearer ").strip())
            if not bearer and not self.same_origin(headers, host):
                return await answer(403, "cross-origin request refused")
            if int(headers.get("content-length") or 0) > MAX_BODY:
                return await answer(413, f"the body is over {MAX_BODY} bytes")
            receive = self.capped(receive)
        await self.app(scope, receive, secured)

    def host_ok(self, host: str) -> bool:
        if host in self.hosts:
            return True
        name, _, port = host.rpartition(":")
        if not self.any_ip or port != self.port:
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
            return True
        except ValueError:
            return False

    def valid(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def given(self, headers: dict) -> str:
        bearer = headers.get("authorization", "")
        if bearer.startswith("Bearer "):
            return bearer.removeprefix("Bearer ").strip()
        cookie = SimpleCookie(headers.get("cookie", ""))
        return cookie[COOKIE].value if COOKIE in cookie else ""

    @staticmethod
    def same_origin(headers: dict, host: str) -> bool:
        origin = headers.get("origin") or headers.get("referer")
        if not origin:
            return False
        parts = urlsplit(origin)
        return parts.scheme == "http" and parts.netloc.lower() == host

    @staticmethod
    def capped(receive):
        """A body that grows past MAX_BODY without a Content-Length ends as an empty one."""
        seen = 0

        async def wrapped():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message
        return wrapped
