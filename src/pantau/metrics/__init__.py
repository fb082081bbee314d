"""The metrics layer, below the dashboard and the aggregation: what every figure is made of and where it is kept.

- `facts`: the conversation facts (one SQL subquery per cohort) and the range predicate;
- `parts`, `message_parts`, `contact_history`, `broadcast_results`: the additive parts of the figures, computed live;
- `buckets`: the snapshot buckets (local hours, days, weeks);
- `snapshots`, `broadcast_store`: the snapshot store, its writers (used by `pantau.aggregation`) and readers;
- `parts_source`: the read path the sections use, stored buckets where they can stand in and a live edge.

It imports `pantau.models`, `pantau.core` and the scope rules of `pantau.auth.scope` / `pantau.auth.scope_sql`, and
nothing above them (the contracts in pyproject.toml, checked by `lint-imports`).
"""
