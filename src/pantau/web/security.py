"""The Content-Security-Policy of every HTML page, set in one place.

Pages load scripts, styles, dictionaries and data from this server only and run no inline script. Styles allow
'unsafe-inline' because plotly.js writes its own `<style>` rules and style attributes while it draws; scripts do
not. Images may be `data:` URLs: plotly paints heatmaps to a canvas and shows them as an image.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class PageSecurityHeaders:
    """Adds the policy (and no-sniff, same-origin referrers) to responses whose content type is HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin"),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
