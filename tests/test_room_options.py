"""The option server alone: exact timelines in a bare SimPy environment, no scenario run.

Each test compiles a one-option scenario (constant service time, constant round trip when
it has one), builds the server and its provider as the engine does, sends attempts at
chosen instants and checks what can be observed: each attempt's outcome and the instant
it returned, and the counters the records are made of (busy time and waits inside the
measured window, rejections, errors, outage failures, the tally of billed attempts and
spend, the send stamps, the latencies). Times are sums of binary fractions, so every
figure is exact.

An attempt draws one round trip and travels half of it, takes a token from the bucket,
is checked against the queue limit, waits for a server (first come, first served), is
served, may fail, and travels the other half back. A rejected attempt (rate limit or
queue limit) returns at the instant it reached the provider, without the way back; an
attempt sent to a provider that is down returns OUTAGE at once.

Ties at equal times, as measured on the simpy.Resource server and kept by the FIFO server
that replaced it (each is a test below; the one change is the last). SimPy handles the
events of one instant in the order they were scheduled, and an attempt "arrives" when its
first half trip (or, with no network, its send) ends:

- attempts reaching a full server at the same instant are served in the order they were
  sent;
- a server freed at t goes to the attempt that has waited longest, before any attempt
  arriving at t, whichever event comes first;
- an attempt arriving at t at a server whose only attempt ends at t, with no room to wait
  (`queue: 0`), is rejected if its arrival was scheduled before that service end, and
  served at once (wait 0) if scheduled after it; with room to wait it starts at t either
  way;
- a waiting attempt cancelled at the instant the server frees for it returns CANCELLED at
  that instant and the server goes to the next waiter at once, when the cancel is
  scheduled before the hand-over is taken up; a cancel that comes from the end of the very
  attempt that freed the server is too late: the server was handed straight to the hedge,
  which is in service (simpy.Resource took one more event to hand over, and the cancel
  won).
"""

from __future__ import annotations

import pytest
import simpy

import conductor
from conductor.engine.options import Handle, Tally, option_servers
from conductor.engine.providers import come_up, go_down, provider_states
from conductor.engine.streams import Streams
from conductor.plan import compile_plan

# The outcome codes; the one import to change when the engine owns them.
from conductor.strategies.base import CANCELLED, ERROR, OK, OUTAGE, REJECTED
from tests.builders import add_flow, add_option, add_provider, constant, skeleton

WINDOW = (0.0, 1000.0)


class Room:
    """One option at `vendor` (component `api`) with its provider, in a fresh environment."""

    def __init__(
        self,
        service_time: float = 2.0,
        *,
        network: float | None = None,
        window: tuple[float, float] = WINDOW,
        latencies: bool = False,
        depends_on: str | None = None,
        **fields,
    ):
        document = skeleton("room")
        if depends_on is not None:
            add_provider(document, depends_on, "external")
        extra = {"network": network} if network is not None else {}
        if depends_on is not None:
            extra["depends_on"] = [depends_on]
        add_provider(document, "vendor", "external", **extra)
        add_option(document, "api", "vendor", service_time, **fields)
        add_flow(document, "main", constant(1), {"api": {}})
        plan = compile_plan(conductor.load_scenario(document))
        self.env = simpy.Environment()
        self.providers = provider_states(plan, window)
        self.provider = self.providers[plan.option("api", "vendor").provider]
        (self.server,) = option_servers(
            self.env, plan, self.providers, Streams(1, 0), window, latencies
        )
        self.tally = Tally(1)
        self.returned: dict[str, tuple[int, float]] = {}
        self.handles: dict[str, Handle] = {}

    def send(self, name: str, at: float, *, measured: bool = True, hedge: bool = False):
        """Send attempt `name` at `at`; its (outcome, instant returned) lands in `returned`.

        A hedge carries a Handle (in `handles`), as the engine's hedged attempts do.
        Returns the process running the attempt.
        """
        env = self.env
        handle = Handle() if hedge else None

        def attempt():
            yield env.timeout(at)
            outcome = yield from self.server.attempt(self.tally if measured else None, handle)
            self.returned[name] = (outcome, env.now)

        process = env.process(attempt())
        if handle is not None:
            self.handles[name] = handle
        return process

    def at(self, when: float, action) -> None:
        """Call `action()` at `when`."""

        def later():
            yield self.env.timeout(when)
            action()

        self.env.process(later())

    def run(self, until: float | None = None) -> dict[str, tuple[int, float]]:
        """Run the environment; the attempts' outcomes and return instants."""
        self.env.run(until)
        return self.returned


def cancel(handle: Handle) -> None:
    """What the engine does to a losing hedge: take it out of the queue if still there."""
    handle.cancel()


# Queueing -------------------------------------------------------------------------------


def test_waiting_attempts_are_served_first_come_first_served():
    room = Room(2.0, capacity=1)
    room.send("a", 0.0)
    room.send("b", 0.5)
    room.send("c", 1.0)
    assert room.run() == {"a": (OK, 2.0), "b": (OK, 4.0), "c": (OK, 6.0)}
    server = room.server
    assert server.waits == 3
    assert server.wait == 0.0 + 1.5 + 3.0
    assert server.busy == 6.0


def test_attempts_arriving_together_are_served_in_the_order_sent():
    room = Room(2.0, capacity=1)
    for name in "abcd":
        room.send(name, 1.0)
    assert room.run() == {"a": (OK, 3.0), "b": (OK, 5.0), "c": (OK, 7.0), "d": (OK, 9.0)}
    assert room.server.wait == 0.0 + 2.0 + 4.0 + 6.0


def test_capacity_c_serves_c_attempts_at_once():
    room = Room(3.0, capacity=2)
    for name in "abcde":
        room.send(name, 0.0)
    assert room.run() == {
        "a": (OK, 3.0),
        "b": (OK, 3.0),
        "c": (OK, 6.0),
        "d": (OK, 6.0),
        "e": (OK, 9.0),
    }
    assert room.server.wait == 0.0 + 0.0 + 3.0 + 3.0 + 6.0
    assert room.server.waits == 5
    assert room.server.busy == 15.0  # server-seconds: both servers count


def test_unlimited_capacity_never_waits_and_counts_no_waits():
    room = Room(2.0)
    for name in "abc":
        room.send(name, 1.0)
    assert room.run() == {"a": (OK, 3.0), "b": (OK, 3.0), "c": (OK, 3.0)}
    assert room.server.waits == 0  # the records' mean wait is then undefined (NaN)
    assert room.server.wait == 0.0
    assert room.server.busy == 6.0


@pytest.mark.parametrize("scheduled", ["before", "after"])
def test_a_freed_server_goes_to_the_longest_waiting_attempt_before_a_new_arrival(scheduled):
    room = Room(2.0, capacity=1)
    room.send("a", 0.0)  # served 0-2, its service end scheduled at 0
    if scheduled == "before":
        room.send("b", 2.0)  # b's arrival at 2 is scheduled at 0, before a's service end
    else:
        room.at(1.0, lambda: room.send("b", 1.0))  # scheduled at 1, after it
    room.send("waiting", 1.0)
    room.at(1.5, lambda: room.send("late", 0.5))
    assert room.run() == {
        "a": (OK, 2.0),
        "waiting": (OK, 4.0),
        "b": (OK, 6.0),
        "late": (OK, 8.0),
    }


# Queue limit ----------------------------------------------------------------------------


def test_queue_limit_rejects_at_arrival_and_counts_only_measured_rejections():
    room = Room(2.0, capacity=1, queue=1)
    room.send("served", 0.0)
    room.send("waits", 0.0)
    room.send("rejected", 0.0)
    room.send("unmeasured", 0.5, measured=False)
    room.send("after", 2.5)  # one is in service, no one waits: room again
    assert room.run() == {
        "served": (OK, 2.0),
        "waits": (OK, 4.0),
        "rejected": (REJECTED, 0.0),
        "unmeasured": (REJECTED, 0.5),
        "after": (OK, 6.0),
    }
    assert room.server.rejections == 1
    # A rejected attempt was sent, so it is billed and stamped; it never waited.
    assert room.tally.attempts == [4]
    assert list(room.server.stamps) == [0.0, 0.0, 0.0, 2.5]
    assert room.server.waits == 3
    assert room.server.wait == 0.0 + 2.0 + 1.5


def test_queue_limit_counts_waiting_attempts_not_those_in_service():
    room = Room(2.0, capacity=2, queue=1)
    for name in "abcd":
        room.send(name, 0.0)
    assert room.run() == {"a": (OK, 2.0), "b": (OK, 2.0), "c": (OK, 4.0), "d": (REJECTED, 0.0)}


def test_a_rejected_attempt_returns_when_it_reaches_the_provider():
    room = Room(2.0, network=1.0, capacity=1, queue=0)
    room.send("a", 0.0)  # arrives 0.5, served 0.5-2.5, back at 3
    room.send("b", 1.0)  # arrives 1.5: no room, rejected there
    assert room.run() == {"a": (OK, 3.0), "b": (REJECTED, 1.5)}


def test_no_queue_arrival_at_the_service_end_scheduled_before_it_is_rejected():
    room = Room(2.0, capacity=1, queue=0)
    room.send("a", 0.0)  # a's service end (2) is scheduled when a starts, at 0
    room.send("b", 2.0)  # b's arrival (2) was scheduled at 0, before a's service end
    assert room.run() == {"a": (OK, 2.0), "b": (REJECTED, 2.0)}


def test_no_queue_arrival_at_the_service_end_scheduled_after_it_is_served():
    room = Room(2.0, capacity=1, queue=0)
    room.send("a", 0.0)
    room.at(1.0, lambda: room.send("b", 1.0))  # b's arrival (2) scheduled at 1
    assert room.run() == {"a": (OK, 2.0), "b": (OK, 4.0)}
    assert room.server.wait == 0.0


def test_with_room_to_wait_an_arrival_at_the_service_end_starts_then():
    room = Room(2.0, capacity=1, queue=1)
    room.send("a", 0.0)
    room.send("b", 2.0)  # scheduled before a's service end: waits, for no time
    assert room.run() == {"a": (OK, 2.0), "b": (OK, 4.0)}
    assert room.server.wait == 0.0
    assert room.server.waits == 2


# Rate limit -----------------------------------------------------------------------------


def test_rate_limit_token_bucket():
    # One token a second, a bucket of two, full at the start; unlimited capacity.
    room = Room(0.5, rate_limit=1.0, burst=2)
    for name, at in zip("abcdefghi", [0.0, 0.0, 0.0, 0.5, 1.0, 1.25, 5.0, 5.0, 5.0], strict=True):
        room.send(name, at)
    assert room.run() == {
        "a": (OK, 0.5),  # 2 tokens -> 1
        "b": (OK, 0.5),  # 1 -> 0
        "c": (REJECTED, 0.0),  # 0
        "d": (REJECTED, 0.5),  # 0.5
        "e": (OK, 1.5),  # 0.5 + 0.5 = 1 -> 0
        "f": (REJECTED, 1.25),  # 0.25
        "g": (OK, 5.5),  # 0.25 + 3.75 = 4, capped at 2 -> 1
        "h": (OK, 5.5),  # 1 -> 0
        "i": (REJECTED, 5.0),
    }
    assert room.server.rejections == 4
    assert room.tally.attempts == [9]


def test_rate_limit_burst_defaults_to_the_rate_and_at_least_one():
    room = Room(0.5, rate_limit=0.5)  # burst max(1, 0.5) = 1
    for name, at in {"a": 0.0, "b": 0.0, "c": 1.5, "d": 2.0}.items():
        room.send(name, at)
    assert room.run() == {
        "a": (OK, 0.5),
        "b": (REJECTED, 0.0),
        "c": (REJECTED, 1.5),  # 0.75 tokens
        "d": (OK, 2.5),  # 0.75 + 0.25 = 1
    }


def test_the_token_is_taken_when_the_attempt_reaches_the_provider():
    room = Room(0.5, network=2.0, rate_limit=1.0, burst=1)
    room.send("a", 0.0)  # reaches it at 1: 1 token -> 0
    room.send("b", 0.5)  # at 1.5: 0.5 token
    room.send("c", 1.0)  # at 2: 0.5 + 0.5 = 1
    assert room.run() == {"a": (OK, 2.5), "b": (REJECTED, 1.5), "c": (OK, 3.5)}


def test_unmeasured_rate_limit_rejections_are_not_counted():
    room = Room(0.5, rate_limit=1.0, burst=1)
    room.send("a", 0.0, measured=False)
    room.send("b", 0.0, measured=False)
    assert room.run() == {"a": (OK, 0.5), "b": (REJECTED, 0.0)}
    assert room.server.rejections == 0
    assert room.tally.attempts == [0]


# Busy time and waits inside the measured window -----------------------------------------


def test_busy_time_counts_only_the_part_inside_the_window():
    room = Room(4.0, capacity=1, window=(10.0, 20.0))
    room.send("before", 0.0)  # 0-4: outside
    room.send("across_low", 8.0)  # 8-12: 2 inside
    room.send("inside", 13.0)  # 13-17: 4
    room.send("across_high", 18.0)  # 18-22: 2
    room.send("after", 25.0)  # 25-29: outside
    room.run()
    assert room.server.busy == 8.0


def test_busy_time_counts_unmeasured_attempts_and_the_half_trips_not():
    # Round trip 2: served from sent + 1 to sent + 5.
    room = Room(4.0, network=2.0, capacity=1, window=(0.0, 10.0))
    room.send("a", 0.0, measured=False)  # 1-5
    room.send("b", 7.0)  # 8-12: 2 inside
    assert room.run() == {"a": (OK, 6.0), "b": (OK, 13.0)}
    assert room.server.busy == 6.0


def test_waits_count_only_measured_attempts_wherever_they_wait():
    room = Room(2.0, capacity=1, window=(0.0, 3.0))
    room.send("a", 0.0, measured=False)  # 0-2
    room.send("b", 0.5)  # waits 1.5, 2-4
    room.send("c", 1.0, measured=False)  # waits 3, 4-6
    room.send("d", 1.5)  # waits 4.5 (past the window's end: counted all the same)
    room.run()
    assert room.server.waits == 2
    assert room.server.wait == 1.5 + 4.5
    assert room.server.busy == 3.0  # 0-2 and 2-3 of 2-4


# Cancelled hedges -----------------------------------------------------------------------


def test_a_waiting_hedge_cancelled_leaves_the_queue():
    room = Room(2.0, capacity=1)
    room.send("a", 0.0)  # 0-2
    room.send("hedge", 0.5, hedge=True)
    hedge = room.handles["hedge"]
    room.send("next", 1.0)
    states = []
    room.at(1.25, lambda: states.append(hedge.waiting))
    room.at(1.5, lambda: cancel(hedge))
    assert room.run() == {"a": (OK, 2.0), "hedge": (CANCELLED, 1.5), "next": (OK, 4.0)}
    assert states == [True]
    assert not hedge.waiting
    # The cancelled hedge never got a server: no wait, no busy time of its own.
    assert room.server.waits == 2
    assert room.server.wait == 0.0 + 1.0
    assert room.server.busy == 4.0
    assert room.tally.attempts == [3]  # sent, so billed


def test_a_hedge_in_service_is_not_waiting_and_finishes():
    room = Room(2.0, capacity=1)
    room.send("hedge", 0.0, hedge=True)
    hedge = room.handles["hedge"]
    room.at(1.0, lambda: cancel(hedge))
    assert room.run() == {"hedge": (OK, 2.0)}
    assert not hedge.waiting


@pytest.mark.parametrize("scheduled", ["before", "after"])
def test_a_hedge_cancelled_as_the_server_frees_for_it_passes_the_server_on(scheduled):
    room = Room(2.0, capacity=1)
    room.send("a", 0.0)  # 0-2; its service end is scheduled at 0
    room.send("hedge", 0.5, hedge=True)
    hedge = room.handles["hedge"]
    room.send("next", 1.0)
    if scheduled == "before":
        room.at(2.0, lambda: cancel(hedge))  # the cancel at 2 is scheduled at 0
    else:
        room.at(1.0, lambda: room.at(1.0, lambda: cancel(hedge)))  # scheduled at 1
    assert room.run() == {"a": (OK, 2.0), "hedge": (CANCELLED, 2.0), "next": (OK, 4.0)}
    assert room.server.wait == 0.0 + 1.0


def test_a_hedge_cancelled_by_the_end_of_the_attempt_that_frees_the_server():
    """The first attempt to finish cancels the others still waiting. Here that attempt is
    the one in service: it handed its server straight to the hedge, which took it at that
    instant, before the news of the end reached the canceller; the hedge is in service and
    finishes (unseen by a hedged call). A simpy.Resource server, one event slower to hand
    over, let the cancel win this tie."""
    room = Room(2.0, capacity=1)
    first = room.send("first", 0.0)
    room.send("hedge", 0.5, hedge=True)
    room.send("next", 1.0)
    seen = []

    def cancel_when_first_returns():
        yield first
        seen.append(room.handles["hedge"].waiting)
        cancel(room.handles["hedge"])

    room.env.process(cancel_when_first_returns())
    assert room.run() == {"first": (OK, 2.0), "hedge": (OK, 4.0), "next": (OK, 6.0)}
    assert seen == [False]
    assert room.server.busy == 6.0


def test_a_hedge_without_a_limited_capacity_is_never_waiting():
    room = Room(2.0)
    room.send("hedge", 0.0, hedge=True)
    hedge = room.handles["hedge"]
    states = []
    room.at(1.0, lambda: states.append(hedge.waiting))
    assert room.run() == {"hedge": (OK, 2.0)}
    assert states == [False]


# Outages and failures -------------------------------------------------------------------


def test_an_outage_during_an_attempt_fails_it_when_it_returns():
    room = Room(2.0, network=1.0, capacity=1)
    room.send("a", 0.0)  # arrives 0.5, served 0.5-2.5, back at 3
    room.at(1.0, lambda: go_down(room.provider, 1.0))
    room.at(1.5, lambda: come_up(room.provider, 1.5))  # up again before a returns
    room.send("b", 2.0)  # sent after the outage: arrives 2.5, served 2.5-4.5
    assert room.run() == {"a": (OUTAGE, 3.0), "b": (OK, 5.0)}
    assert room.server.outage_failures == 1
    assert room.server.busy == 4.0  # the provider served a; it fails on the way back


def test_an_outage_on_the_way_back_fails_the_attempt():
    room = Room(2.0, network=2.0)
    room.send("a", 0.0)  # served 1-3, back at 4
    room.at(3.5, lambda: go_down(room.provider, 3.5))
    assert room.run() == {"a": (OUTAGE, 4.0)}
    assert room.server.outage_failures == 1


def test_an_outage_over_before_the_attempt_leaves_it_alone():
    room = Room(2.0)
    room.at(0.5, lambda: go_down(room.provider, 0.5))
    room.at(1.0, lambda: come_up(room.provider, 1.0))
    room.send("a", 1.0)
    assert room.run() == {"a": (OK, 3.0)}
    assert room.server.outage_failures == 0


def test_a_provider_down_at_send_fails_the_attempt_at_once_and_bills_it():
    room = Room(2.0, network=1.0, capacity=1, cost={"per_call": 0.25})
    room.at(0.0, lambda: go_down(room.provider, 0.0))
    room.send("measured", 1.0)
    room.send("unmeasured", 1.5, measured=False)
    assert room.run() == {"measured": (OUTAGE, 1.0), "unmeasured": (OUTAGE, 1.5)}
    assert room.server.outage_failures == 1
    assert room.tally.attempts == [1]
    assert room.tally.spend == [0.25]
    assert list(room.server.stamps) == [1.0]
    assert room.server.busy == 0.0
    assert room.server.waits == 0


def test_a_provider_down_because_its_dependency_is_down():
    room = Room(2.0, depends_on="cloud")
    cloud = room.providers[0]
    room.at(1.0, lambda: go_down(cloud, 1.0))
    room.send("during", 0.0)  # served 0-2: the dependency fails it
    room.send("down", 1.5)
    room.at(3.0, lambda: come_up(cloud, 3.0))
    room.send("after", 3.0)
    assert room.run() == {"during": (OUTAGE, 2.0), "down": (OUTAGE, 1.5), "after": (OK, 5.0)}
    assert room.server.outage_failures == 2


def test_failure_probability_one_fails_every_attempt_after_service():
    room = Room(2.0, network=1.0, capacity=1, failure=1)
    room.send("a", 0.0)
    room.send("b", 0.0, measured=False)
    assert room.run() == {"a": (ERROR, 3.0), "b": (ERROR, 5.0)}
    assert room.server.errors == 1
    assert room.server.busy == 4.0
    assert room.server.wait == 0.0  # b waited, unmeasured


def test_failure_probability_zero_never_fails():
    room = Room(2.0, failure=0)
    for index in range(5):
        room.send(f"a{index}", float(index))
    assert set(room.run().values()) == {(OK, 2.0 + i) for i in range(5)}
    assert room.server.errors == 0


# Billing, slowdowns, latencies ----------------------------------------------------------


def test_every_sent_measured_attempt_is_billed_at_the_current_price():
    room = Room(2.0, capacity=1, queue=0, cost={"per_call": 0.25})
    room.send("a", 0.0)
    room.send("rejected", 1.0)
    room.at(2.0, lambda: setattr(room.provider, "price", 3.0))
    room.send("dearer", 2.5)
    room.send("unmeasured", 5.0, measured=False)
    assert room.run() == {
        "a": (OK, 2.0),
        "rejected": (REJECTED, 1.0),
        "dearer": (OK, 4.5),
        "unmeasured": (OK, 7.0),
    }
    assert room.tally.attempts == [3]
    assert room.tally.spend == [0.25 + 0.25 + 0.75]
    assert list(room.server.stamps) == [0.0, 1.0, 2.5]


def test_a_slowdown_stretches_service_and_round_trip():
    room = Room(2.0, network=1.0, capacity=1, window=(0.0, 2.0))
    room.provider.slow = 3.0
    room.send("a", 0.0)  # half trip 1.5, service 6, half trip 1.5
    assert room.run() == {"a": (OK, 9.0)}
    assert room.server.busy == 0.5  # served 1.5-7.5, the window ends at 2


def test_latencies_of_successful_measured_attempts_when_asked():
    room = Room(2.0, network=1.0, capacity=1, latencies=True, queue=0)
    room.send("a", 0.0)  # 0-3
    room.send("rejected", 1.0)
    room.send("unmeasured", 3.0, measured=False)
    room.send("b", 6.0)  # 6-9
    room.run()
    assert list(room.server.latencies) == [3.0, 3.0]


def test_latencies_are_not_kept_unless_asked():
    room = Room(2.0)
    room.send("a", 0.0)
    room.run()
    assert room.server.latencies is None
