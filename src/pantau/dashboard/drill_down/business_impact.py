"""business-impact's figures with conversations behind them, by their path in the section's JSON.

Both count contacts, so each list holds one conversation per contact (docs/drill-down.md) and its `total` is the
figure: a campaign's responders, each by the conversation their answered broadcast message is in, and the repeat
customers, each by their first conversation of the range.
"""

from sqlalchemy import Connection, true

from pantau.dashboard.business_impact import CAMPAIGNS_SHOWN
from pantau.dashboard.context import SectionContext
from pantau.dashboard.drill_down.figures import Drawn, Figure
from pantau.dashboard.router import SectionRequest
from pantau.metrics.broadcast_results import broadcast_results, responders_conversations
from pantau.metrics.contact_history import repeat_customers_conversations
from pantau.web.errors import ApiError


def _campaign_listed(connection: Connection, checked: SectionRequest, figure: str, bucket: str) -> None:
    """A campaign the section lists for these parameters (the latest created in the range with a message in the
    scope), else 400 naming it."""
    window = checked.window
    listed = broadcast_results(checked.on(connection).parts, window.start, window.end, limit=CAMPAIGNS_SHOWN)
    if bucket not in {campaign.broadcast_id for campaign in listed}:
        raise ApiError(400, "invalid_parameter", f"bucket: {figure} has no campaign {bucket!r} in this range and scope")


def _responders(ctx: SectionContext, bucket: str | None) -> Drawn:
    return Drawn(responders_conversations(ctx.scope, bucket or ""))


def _repeat_customers(ctx: SectionContext, bucket: str | None) -> Drawn:
    window = ctx.window
    return Drawn(repeat_customers_conversations(ctx.scope, window.start, min(window.end, window.now)))


FIGURES: dict[str, Figure] = {
    "campaignConversion.responded": Figure(
        lambda facts, counted, bucket: true(), _campaign_listed, population=_responders
    ),
    "repeatCustomerRate.repeatCustomers": Figure(lambda facts, counted, bucket: true(), population=_repeat_customers),
}
