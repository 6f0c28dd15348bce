"""The portfolio alone: engagements, switches and fixed costs on an exact timeline.

Each test compiles a small scenario, builds the portfolio as the engine does (`start`
engages the status quo, the strategy's starting engagements follow, `started` ends the
free start) and calls the strategy-facing operations at chosen instants in a bare SimPy
environment: `engage`, `disengage`, `migrate` and `adopt`. It checks what a replication
records: the history of engagements, the switches and switch-in costs, which option
serves a component when, and the fixed costs accrued inside the measured window, for
options (`per_hour`, with `per_server_hour` × capacity) and for providers (their
relationship `per_hour`, once however many of their options are engaged), at the
provider's price factor of each interval. Times are whole quarters of an hour, so every
cost is exact.

The scenario: component `api` at vendors a (2/h, min_term 2 h), b (4/h, switch-in 100,
lead time 30 min) and c (1/h, switch-in 50, no lead time); component `db` at a (1/h).
Providers a and b cost 1/h and 0.5/h for the relationship.
"""

from __future__ import annotations

import numpy as np
import simpy

import conductor
from conductor.engine.events import event_process
from conductor.engine.portfolio import Portfolio
from conductor.engine.providers import provider_states
from conductor.engine.streams import Streams
from conductor.plan import compile_plan
from tests.builders import add_flow, add_option, add_provider, constant, skeleton

HOUR = 3600.0
LEAD = 0.5 * HOUR
MIN_TERM = 2 * HOUR
SWITCH_B, SWITCH_C = 100.0, 50.0
API_A, API_B, API_C, DB_A = 0, 1, 2, 3  # option indices, in declared order
API = 0  # component index
PROVIDER_B = 1


def document(**top) -> dict:
    """The scenario of the module docstring, with top-level keys added."""
    document = skeleton("portfolio")
    add_provider(document, "a", "external", cost={"per_hour": 1.0})
    add_provider(document, "b", "external", cost={"per_hour": 0.5})
    add_provider(document, "c", "internal")
    add_option(document, "api", "a", 0.1, cost={"per_hour": 2.0}, min_term=MIN_TERM)
    add_option(
        document,
        "api",
        "b",
        0.1,
        cost={"per_hour": 4.0},
        switch_in={"cost": SWITCH_B, "lead_time": LEAD},
    )
    add_option(document, "api", "c", 0.1, cost={"per_hour": 1.0}, switch_in={"cost": SWITCH_C})
    add_option(document, "db", "a", 0.1, cost={"per_hour": 1.0})
    add_flow(document, "main", constant(1), {"api": {}, "db": {}})
    document.update(top)
    return document


class Desk:
    """A portfolio in a fresh environment, and a way to act on it at given instants."""

    def __init__(
        self, window: tuple[float, float] = (0.0, 100 * HOUR), mapping: dict | None = None, **top
    ):
        self.plan = compile_plan(conductor.load_scenario(mapping or document(**top)))
        assert [o.name for o in self.plan.options] == ["api@a", "api@b", "api@c", "db@a"]
        self.env = simpy.Environment()
        self.window = window
        self.providers = provider_states(self.plan, window)
        self.portfolio = Portfolio(
            self.env, self.plan, self.providers, Streams(1, 0), window, "test"
        )
        self.seen: list = []

    def begin(self, *starting: int) -> Portfolio:
        """The engine's start: the status quo, then the starting options, then no more free."""
        portfolio = self.portfolio
        portfolio.start()
        for option in starting:
            portfolio.migrate(self.plan.options[option].component, option)
        portfolio.started()
        return portfolio

    def at(self, hours: float, action) -> None:
        """Call `action(portfolio)` at `hours`; what it returns is appended to `seen`."""

        def later():
            yield self.env.timeout(hours * HOUR - self.env.now)
            self.seen.append((hours, action(self.portfolio)))

        self.env.process(later())

    def run(self, hours: float) -> Portfolio:
        """Run to `hours`, then accrue the fixed costs to then (as a replication's end)."""
        self.env.run(until=hours * HOUR)
        self.portfolio.accrue(self.env.now)
        return self.portfolio


def reprices(desk: Desk) -> None:
    """Start the engine's process for every scenario event (price events here)."""
    for number, event in enumerate(desk.plan.events):
        desk.env.process(
            event_process(
                desk.env,
                event,
                number,
                desk.plan,
                desk.providers,
                desk.portfolio,
                lambda flow: None,
                [1.0],
                Streams(1, 0),
                100 * HOUR,
            )
        )


def engagements(portfolio: Portfolio) -> list[tuple[float, int, bool]]:
    """The history with times in hours."""
    return [(t / HOUR, option, engaged) for t, option, engaged in portfolio.history]


# The free start ---------------------------------------------------------------------------


def test_the_greenfield_start_is_free_and_serves_at_once():
    desk = Desk()
    portfolio = desk.begin(API_B, DB_A)  # b has a switch-in and a lead time: free at start
    assert portfolio.current[API] == API_B
    assert portfolio.serving(API_B) and portfolio.serving(DB_A)
    assert not portfolio.engaged(API_A)
    assert portfolio.switches == 0
    assert portfolio.switching_by_option.tolist() == [0.0] * 4
    assert engagements(portfolio) == [(0.0, API_B, True), (0.0, DB_A, True)]


def test_the_status_quo_is_engaged_free_and_keeping_it_costs_nothing():
    desk = Desk(status_quo={"api": "b"})
    portfolio = desk.begin(API_B)
    assert portfolio.current[API] == API_B
    assert portfolio.serving(API_B)
    assert portfolio.switches == 0
    assert engagements(portfolio) == [(0.0, API_B, True)]


def test_leaving_the_status_quo_at_the_start_pays_and_waits_the_lead_time():
    desk = Desk(status_quo={"api": "c"})
    portfolio = desk.begin(API_B)
    desk.at(0.25, lambda p: (p.current[API], p.serving(API_B), p.serving(API_C)))
    desk.at(0.75, lambda p: (p.current[API], p.serving(API_B), p.serving(API_C)))
    desk.run(1)
    assert desk.seen == [(0.25, (API_C, False, True)), (0.75, (API_B, True, False))]
    assert portfolio.switches == 1
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]
    assert engagements(portfolio) == [(0.0, API_C, True), (0.0, API_B, True), (0.5, API_C, False)]


# engage and disengage -----------------------------------------------------------------


def test_engaging_after_the_start_pays_once_and_serves_after_the_lead_time():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(1, lambda p: p.engage(API_B))
    desk.at(1.25, lambda p: (p.engaged(API_B), p.serving(API_B)))
    desk.at(1.5, lambda p: p.serving(API_B))  # ready exactly at the end of the lead time
    desk.at(2, lambda p: p.engage(API_B))  # already engaged: nothing happens
    desk.run(3)
    assert desk.seen == [(1, None), (1.25, (True, False)), (1.5, True), (2, None)]
    assert portfolio.switches == 1
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]
    assert engagements(portfolio) == [(0.0, API_A, True), (1.0, API_B, True)]


def test_no_lead_time_serves_at_once():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(1, lambda p: (p.engage(API_C), p.serving(API_C))[1])
    desk.run(2)
    assert desk.seen == [(1, True)]
    assert portfolio.switching_by_option.tolist() == [0.0, 0.0, SWITCH_C, 0.0]


def test_min_term_refuses_an_early_disengagement_and_allows_it_at_the_term():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(1.75, lambda p: p.disengage(API_A))
    desk.at(1.75, lambda p: p.engaged(API_A))
    desk.at(2, lambda p: p.disengage(API_A))  # exactly at engaged + min_term
    desk.at(2, lambda p: (p.engaged(API_A), p.serving(API_A)))
    desk.at(3, lambda p: p.disengage(API_A))  # not engaged: nothing to do
    desk.run(4)
    assert desk.seen == [(1.75, False), (1.75, True), (2, True), (2, (False, False)), (3, True)]
    assert engagements(portfolio) == [(0.0, API_A, True), (2.0, API_A, False)]


def test_min_term_counts_from_the_latest_engagement():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(2.5, lambda p: p.disengage(API_A))
    desk.at(3, lambda p: p.engage(API_A))  # engaged again: a switch, a new term
    desk.at(4.75, lambda p: p.disengage(API_A))
    desk.at(5, lambda p: p.disengage(API_A))
    desk.run(6)
    assert desk.seen == [(2.5, True), (3, None), (4.75, False), (5, True)]
    assert portfolio.switches == 1
    assert engagements(portfolio) == [
        (0.0, API_A, True),
        (2.5, API_A, False),
        (3.0, API_A, True),
        (5.0, API_A, False),
    ]


# migrate ----------------------------------------------------------------------------------


def test_migrate_keeps_the_old_option_serving_through_the_lead_time():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(3, lambda p: p.migrate(API, API_B))
    desk.at(3.25, lambda p: (p.current[API], p.pending[API], p.serving(API_A), p.serving(API_B)))
    desk.at(3.75, lambda p: (p.current[API], p.pending[API], p.serving(API_A), p.serving(API_B)))
    desk.run(4)
    assert desk.seen[1:] == [(3.25, (API_A, API_B, True, False)), (3.75, (API_B, -1, False, True))]
    assert engagements(portfolio) == [(0.0, API_A, True), (3.0, API_B, True), (3.5, API_A, False)]
    assert portfolio.switches == 1
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]


def test_migrate_releases_the_old_option_when_its_min_term_ends():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(1, lambda p: p.migrate(API, API_B))  # ready at 1.5; a's term ends at 2
    desk.at(1.75, lambda p: (p.current[API], p.engaged(API_A), p.serving(API_A)))
    desk.run(3)
    assert desk.seen[1:] == [(1.75, (API_B, True, True))]
    assert engagements(portfolio) == [(0.0, API_A, True), (1.0, API_B, True), (2.0, API_A, False)]


def test_migrating_back_to_an_option_still_in_its_term_is_free():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(1, lambda p: p.migrate(API, API_B))
    desk.at(1.75, lambda p: p.migrate(API, API_A))  # a is still engaged (term to 2)
    desk.run(3)
    assert portfolio.current[API] == API_A
    assert engagements(portfolio) == [
        (0.0, API_A, True),
        (1.0, API_B, True),
        (1.75, API_B, False),  # b has no term: released at once
    ]
    assert portfolio.switches == 1  # only b's engagement
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]


def test_migrate_to_the_current_or_the_pending_option_does_nothing():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(3, lambda p: p.migrate(API, API_A))
    desk.at(3, lambda p: p.migrate(API, API_B))
    desk.at(3.25, lambda p: p.migrate(API, API_B))
    desk.run(4)
    assert portfolio.switches == 1
    assert engagements(portfolio) == [(0.0, API_A, True), (3.0, API_B, True), (3.5, API_A, False)]


def test_migrate_without_a_lead_time_hands_over_at_once():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(3, lambda p: (p.migrate(API, API_C), p.current[API], p.engaged(API_A))[1:])
    desk.run(4)
    assert desk.seen == [(3, (API_C, False))]
    assert engagements(portfolio) == [(0.0, API_A, True), (3.0, API_C, True), (3.0, API_A, False)]


# adopt ------------------------------------------------------------------------------------


def test_adopt_at_the_greenfield_start_engages_all_free_and_the_first_is_current():
    desk = Desk()
    portfolio = desk.portfolio
    portfolio.start()
    portfolio.adopt(API, (API_B, API_C))
    portfolio.started()
    assert portfolio.current[API] == API_B
    assert portfolio.serving(API_B) and portfolio.serving(API_C)
    assert portfolio.switches == 0


def test_adopt_off_the_status_quo_hands_over_to_the_first_ready():
    desk = Desk(status_quo={"api": "a"})
    portfolio = desk.portfolio
    portfolio.start()
    portfolio.adopt(API, (API_B,))
    portfolio.started()
    desk.at(0.25, lambda p: (p.current[API], p.serving(API_A), p.serving(API_B)))
    desk.at(1, lambda p: (p.current[API], p.serving(API_A), p.serving(API_B)))
    desk.run(3)
    assert desk.seen == [(0.25, (API_A, True, False)), (1, (API_B, True, True))]
    # a, the status quo, serves until b is ready and is released at the end of its term.
    assert engagements(portfolio) == [(0.0, API_A, True), (0.0, API_B, True), (2.0, API_A, False)]
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]


def test_adopt_with_an_option_ready_at_once_hands_over_to_it():
    desk = Desk(status_quo={"api": "a"})
    portfolio = desk.portfolio
    portfolio.start()
    portfolio.adopt(API, (API_B, API_C))  # c has no lead time
    portfolio.started()
    assert portfolio.current[API] == API_C
    assert portfolio.switches == 2
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, SWITCH_C, 0.0]
    desk.run(3)
    assert engagements(portfolio) == [
        (0.0, API_A, True),
        (0.0, API_B, True),
        (0.0, API_C, True),
        (2.0, API_A, False),
    ]


# Fixed costs ------------------------------------------------------------------------------


def test_fixed_costs_accrue_inside_the_window_and_a_provider_pays_once():
    desk = Desk(window=(1 * HOUR, 4 * HOUR))
    portfolio = desk.begin(API_A, DB_A)  # both at provider a
    desk.run(5)  # the window ends at 4
    assert portfolio.fixed_by_option.tolist() == [2.0 * 3, 0.0, 0.0, 1.0 * 3]
    assert portfolio.fixed_by_provider.tolist() == [1.0 * 3, 0.0, 0.0]


def test_fixed_costs_follow_each_engagement_interval():
    desk = Desk(window=(0.0, 4 * HOUR))
    portfolio = desk.begin(API_A)
    desk.at(2, lambda p: p.migrate(API, API_B))  # b from 2; a released at 2.5
    desk.run(4)
    assert portfolio.fixed_by_option.tolist() == [2.0 * 2.5, 4.0 * 2, 0.0, 0.0]
    assert portfolio.fixed_by_provider.tolist() == [1.0 * 2.5, 0.5 * 2, 0.0]
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, 0.0, 0.0]


def test_fixed_costs_outside_the_window_are_not_counted():
    desk = Desk(window=(2 * HOUR, 3 * HOUR))
    portfolio = desk.begin(API_A)
    desk.at(1, lambda p: p.migrate(API, API_C))  # a stays engaged to its term, 2
    desk.at(3.5, lambda p: p.migrate(API, API_B))  # after the window: paid, not accrued
    desk.run(5)
    assert portfolio.fixed_by_option.tolist() == [0.0, 0.0, 1.0, 0.0]
    assert portfolio.fixed_by_provider.tolist() == [0.0, 0.0, 0.0]
    assert portfolio.switching_by_option.tolist() == [0.0, SWITCH_B, SWITCH_C, 0.0]


def test_accruing_twice_at_one_instant_adds_nothing():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.run(1)
    before = portfolio.fixed_by_option.copy()
    portfolio.accrue(desk.env.now)
    assert np.array_equal(portfolio.fixed_by_option, before)
    assert portfolio.fixed_by_option[API_A] == 2.0


def test_per_server_hour_is_paid_for_every_server():
    mapping = add_option(document(), "api", "a", 0.1, capacity=3, cost={"per_server_hour": 0.5})
    desk = Desk(mapping=mapping)
    portfolio = desk.begin(API_A)
    desk.run(2)
    assert portfolio.fixed_by_option[API_A] == 0.5 * 3 * 2


# Price events -----------------------------------------------------------------------------


def test_price_events_scale_fixed_costs_from_their_instant():
    events = [
        {"at": 1 * HOUR, "provider": "a", "price": 2.0},
        {"at": 2 * HOUR, "provider": "a", "price": 1.5},  # × 3 from 2 h
    ]
    desk = Desk(window=(0.0, 3 * HOUR), events=events)
    reprices(desk)
    portfolio = desk.begin(API_A, DB_A)
    desk.at(1.5, lambda p: p.price(API_A))
    desk.run(3)
    assert desk.seen == [(1.5, 2.0)]
    assert portfolio.fixed_by_option.tolist() == [
        2.0 * (1 + 2 + 3),
        0.0,
        0.0,
        1.0 * (1 + 2 + 3),
    ]
    assert portfolio.fixed_by_provider.tolist() == [1.0 * (1 + 2 + 3), 0.0, 0.0]


def test_a_price_event_does_not_scale_the_switch_in_cost():
    desk = Desk(events=[{"at": 1 * HOUR, "provider": "b", "price": 2.0}])
    reprices(desk)
    portfolio = desk.begin(API_A)
    desk.at(2, lambda p: p.engage(API_B))
    desk.run(3)
    assert portfolio.switching_by_option[API_B] == SWITCH_B
    assert portfolio.fixed_by_option[API_B] == 4.0 * 2.0 * 1
    assert portfolio.fixed_by_provider[PROVIDER_B] == 0.5 * 2.0 * 1


def test_a_price_event_between_engagements_prices_each_interval():
    desk = Desk(window=(0.0, 4 * HOUR), events=[{"at": 1 * HOUR, "provider": "a", "price": 2.0}])
    reprices(desk)
    portfolio = desk.begin(API_C)  # c is in-house: its provider costs nothing
    desk.at(0.5, lambda p: p.engage(DB_A))
    desk.at(3, lambda p: p.disengage(DB_A))
    desk.run(4)
    assert portfolio.fixed_by_option.tolist() == [0.0, 0.0, 1.0 * 4, 1.0 * (0.5 + 2 * 2)]
    assert portfolio.fixed_by_provider.tolist() == [1.0 * (0.5 + 2 * 2), 0.0, 0.0]


def test_a_migration_in_its_lead_time_gives_way_to_a_later_one():
    """B is still in its lead time when the strategy turns to C, which serves at once: B is
    released at that instant and never takes over when its lead time ends."""
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(3, lambda p: p.migrate(API, API_B))  # b ready at 3.5
    desk.at(3.25, lambda p: p.migrate(API, API_C))  # c serves at once
    desk.run(5)
    assert portfolio.current[API] == API_C and portfolio.pending[API] == -1
    assert not portfolio.engaged(API_B)
    assert engagements(portfolio) == [
        (0.0, API_A, True),
        (3.0, API_B, True),
        (3.25, API_B, False),
        (3.25, API_C, True),
        (3.25, API_A, False),
    ]


def test_turning_back_to_the_current_option_cancels_a_pending_migration():
    desk = Desk()
    portfolio = desk.begin(API_A)
    desk.at(3, lambda p: p.migrate(API, API_B))  # b ready at 3.5
    desk.at(3.25, lambda p: p.migrate(API, API_A))
    desk.run(5)
    assert portfolio.current[API] == API_A and portfolio.pending[API] == -1
    assert engagements(portfolio) == [(0.0, API_A, True), (3.0, API_B, True), (3.25, API_B, False)]
