"""Adding parts up: many at once gives what adding them pairwise gives."""

from __future__ import annotations

from pantau.metrics.parts import ConversationParts


def test_many_parts_add_up_at_once_as_they_do_pairwise():
    first = ConversationParts(conversations=3, answered=2, response_us=7_000_000, pending=1, pending_latest_s0_us=50)
    first.delays[1] = 2
    first.intents = {"refund": [2, 1]}
    second = ConversationParts(conversations=1, resolved=1, handling_us=90, pending=1, pending_latest_s0_us=80)
    second.delays[4] = 1
    second.intents = {"refund": [1, 0], "order_status": [1, 1]}
    third = ConversationParts(drop_candidates=1, drop_candidates_latest_us=10, csat_sum=4, csat_count=1)

    at_once = ConversationParts.total([first, second, third])

    assert at_once == first + second + third
    assert (at_once.pending_latest_s0_us, at_once.delays[1], at_once.delays[4]) == (80, 2, 1)
    assert at_once.intents == {"refund": [3, 1], "order_status": [1, 1]}
    assert ConversationParts.total([]) == ConversationParts()
