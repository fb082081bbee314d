"""The figures of a summary: each section's answer exactly as `GET /api/dashboard/<section>` gives it for the same
window and scope, read through the same cache entry (so a PDF never disagrees with the JSON the page just showed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from pantau.auth.scope import Scope
from pantau.cache.dashboard_cache import DashboardCache
from pantau.core.config import Settings
from pantau.core.replica import Reads
from pantau.core.windows import Window, resolve_window
from pantau.dashboard import router
from pantau.dashboard.agent_productivity import AgentProductivityResponse
from pantau.dashboard.automation_impact import AutomationImpactResponse
from pantau.dashboard.business_impact import BusinessImpactResponse
from pantau.dashboard.context import SectionContext
from pantau.dashboard.conversation_effectiveness import ConversationEffectivenessResponse
from pantau.dashboard.kpi import KpiResponse
from pantau.dashboard.schemas import SectionResponse
from pantau.dashboard.whatsapp_performance import WhatsappPerformanceResponse
from pantau.models import Team, User

# The summary's parts, in the order the PDF draws them; a schedule may pick some (its sections).
SUMMARY_PARTS = ("kpi", "conversations", "agents", "whatsapp", "automation", "business")
MANAGEMENT_PARTS = frozenset({"whatsapp", "automation", "business"})

teams = Team.__table__
users = User.__table__


@dataclass(frozen=True)
class SummaryFigures:
    """What the summary shows. The three management sections are None for a scope that may not open them."""

    scope: Scope
    scope_label: str
    window: Window
    kpi: KpiResponse
    conversations: ConversationEffectivenessResponse
    agents: AgentProductivityResponse
    whatsapp: WhatsappPerformanceResponse | None
    automation: AutomationImpactResponse | None
    business: BusinessImpactResponse | None

    @property
    def management(self) -> bool:
        return self.whatsapp is not None and self.automation is not None and self.business is not None


def section_answer(
    connection: Connection,
    cache: DashboardCache,
    name: str,
    scope: Scope,
    window: Window,
    settings: Settings,
    reads: Reads | None = None,
) -> SectionResponse:
    """The section's answer for this window and scope: the API's cache entry when fresh, else computed by the
    section itself (and cached for the API). With `reads`, computed where it routes the dashboard's reads (the
    replica when one keeps up), else on `connection`."""
    section = router.SECTIONS[name]
    if reads is not None:
        body, _outcome = router.section_body(
            cache, section, router.SectionRequest(scope=scope, window=window, settings=settings), reads
        )
        return section.response_model.model_validate_json(body)

    def compute() -> bytes:
        context = SectionContext(connection=connection, scope=scope, window=window, settings=settings)
        return router.section_answer(section, context).model_dump_json(by_alias=True).encode()

    body, _outcome = cache.read_through(router.section_cache_key(name, scope, window, settings), compute)
    return section.response_model.model_validate_json(body)


def scope_label(connection: Connection, scope: Scope) -> str:
    """Whose rows the summary covers, in words: the organisation, a team's name, or a person's name."""
    if scope.level == "all":
        return ""
    if scope.level == "team":
        names: Sequence[str] = (
            connection.execute(select(teams.c.name).where(teams.c.id.in_(scope.team_ids))).scalars().all()
        )
        return ", ".join(sorted(names)) or ", ".join(scope.team_ids)
    name = connection.execute(select(users.c.full_name).where(users.c.id == scope.user_id)).scalar_one_or_none()
    return name or scope.user_id


def summary_figures(
    connection: Connection,
    cache: DashboardCache,
    scope: Scope,
    window: Window,
    settings: Settings,
    reads: Reads | None = None,
) -> SummaryFigures:
    def answer(name: str, section_window: Window = window):
        return section_answer(connection, cache, name, scope, section_window, settings, reads)

    # kpi always covers today, whatever the range: the same window its endpoint resolves.
    today = resolve_window(now=window.now, zone=window.zone, preset=router.SECTIONS["kpi"].default_range)
    management = scope.can_read_management_sections
    return SummaryFigures(
        scope=scope,
        scope_label=scope_label(connection, scope),
        window=window,
        kpi=answer("kpi", today),
        conversations=answer("conversation-effectiveness"),
        agents=answer("agent-productivity"),
        whatsapp=answer("whatsapp-performance") if management else None,
        automation=answer("automation-impact") if management else None,
        business=answer("business-impact") if management else None,
    )
