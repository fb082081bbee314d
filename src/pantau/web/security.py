"""The security headers of every response, set in one place: `X-Content-Type-Options: nosniff` on all of them (a
browser must not read a JSON answer, a CSV or a script as anything but what its content type says), and the
Content-Security-Policy and referrer policy on HTML pages.

Pages load scripts, styles, dictionaries and data from this server only and run no inline script but the import map,
allowed by its hash (`pantau.web.assets.import_map`). Styles allow
'unsafe-inline' because plotly.js writes its own `<style>` rules and style attributes while it draws; scripts do
not. Images may be `data:` URLs: plotly paints heatmaps to a canvas and shows them as an image; and `blob:` URLs,
which only this page's own scripts can make: saving a chart as PNG, plotly draws its SVG into an image from one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pantau.web.assets import import_map_hash

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' {import_map_hash()}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class PageSecurityHeaders:
    """Adds no-sniff to every response, and the policy and same-origin referrers to responses whose content type is
    HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
                    headers += [
                        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                        (b"referrer-policy", b"same-origin"),
                    ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
