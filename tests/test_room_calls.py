"""The call policy in isolation: exact timelines of one call under each mechanism.

Constant service times and a single request make every instant exact: a hedge, a
timeout, a retry after its backoff and a failover each show up as a sum of declared
durations. The default attempt/retry loop (`CallPolicy.call`) is also driven by a fake
`Calls`, so its decisions are checked without the engine at all.
"""

from __future__ import annotations

import pytest
import simpy

import conductor
from conductor.engine.protocol import ERROR, OK, TIMEOUT, CallPolicy
from conductor.engine.simulation import simulate
from conductor.plan import compile_plan
from conductor.strategies.registry import build_strategy

SLOW, FAST = 0.1, 0.01


def one_call(scenario, strategy: dict, **slow_option):
    """Records of one request calling component `a` (slow vendor 100 ms, fast 10 ms)."""
    mapping = scenario(
        {"run.horizon": 0.5},
        providers={"slow": {"kind": "external"}, "fast": {"kind": "external"}},
        components={
            "a": {
                "options": {
                    "slow": {"service_time": SLOW, **slow_option},
                    "fast": {"service_time": FAST},
                }
            }
        },
        flows={"web": {"arrivals": {"process": "constant", "rate": 2}, "steps": {"a": {}}}},
        strategies={"s": strategy},
    )
    loaded = conductor.load_scenario(mapping)
    plan = compile_plan(loaded)
    records = simulate(plan, build_strategy("s", loaded.strategies["s"], plan), 0)
    assert len(records.latency) == 1
    return records


def test_hedge_goes_out_after_its_delay_and_the_first_answer_wins(scenario):
    records = one_call(
        scenario, {"policy": "hedged", "order": ["slow", "fast"], "delay": 0.03, "max_attempts": 2}
    )
    assert records.latency[0] == pytest.approx(0.03 + FAST, rel=1e-12)
    assert records.ok[0]
    assert records.flow_attempts[0].tolist() == [1, 1]


def test_no_hedge_when_the_first_answers_before_the_delay(scenario):
    records = one_call(
        scenario, {"policy": "hedged", "order": ["fast", "slow"], "delay": 0.05, "max_attempts": 2}
    )
    assert records.latency[0] == pytest.approx(FAST, rel=1e-12)
    assert records.flow_attempts[0].tolist() == [0, 1]


def test_a_timeout_before_the_hedge_delay_sends_the_next_at_once(scenario):
    records = one_call(
        scenario,
        {
            "policy": "hedged",
            "order": ["slow", "fast"],
            "delay": 0.08,
            "timeout": 0.05,
            "max_attempts": 2,
        },
    )
    assert records.latency[0] == pytest.approx(0.05 + FAST, rel=1e-12)
    assert records.timeouts.tolist() == [1, 0]


def test_an_answer_at_the_very_instant_of_its_timeout_wins(scenario):
    # The timer is armed after the event that reaches it (docs/semantics.md: the one
    # scheduled first wins): the answer, for a led attempt and for a hedge alike.
    led = one_call(scenario, {"policy": "static", "use": {"a": "slow"}, "timeout": SLOW})
    assert led.ok[0] and led.timeouts.tolist() == [0, 0]
    assert led.latency[0] == pytest.approx(SLOW, rel=1e-12)
    hedge = one_call(
        scenario,
        {
            "policy": "hedged",
            "order": ["slow", "fast"],
            "delay": 0.08,
            "timeout": FAST,
            "max_attempts": 2,
        },
    )
    # The first times out at 10 ms; the hedge sent then answers at its own timeout.
    assert hedge.ok[0] and hedge.timeouts.tolist() == [1, 0]
    assert hedge.latency[0] == pytest.approx(2 * FAST, rel=1e-12)


def test_hedged_group_is_retried_after_its_backoff(scenario):
    records = one_call(
        scenario,
        {
            "policy": "hedged",
            "order": ["slow"],
            "delay": 1,
            "max_attempts": 1,
            "retries": 1,
            "backoff": {"base": 0.02},
        },
        failure=1.0,
    )
    assert not records.ok[0]
    assert records.latency[0] == pytest.approx(SLOW + 0.02 + SLOW, rel=1e-12)
    assert records.flow_attempts[0].tolist() == [2, 0]


def test_failover_after_a_timeout_and_a_backoff(scenario):
    records = one_call(
        scenario,
        {
            "policy": "failover",
            "order": ["slow", "fast"],
            "timeout": 0.05,
            "backoff": {"base": 0.02},
        },
    )
    assert records.latency[0] == pytest.approx(0.05 + 0.02 + FAST, rel=1e-12)
    assert records.timeouts.tolist() == [1, 0]
    assert records.flow_attempts[0].tolist() == [1, 1]


def test_retries_back_off_exponentially_until_they_run_out(scenario):
    records = one_call(
        scenario,
        {
            "policy": "static",
            "use": {"a": "slow"},
            "retries": 2,
            "backoff": {"base": 0.01, "multiplier": 3},
        },
        failure=1.0,
    )
    assert not records.ok[0]
    assert records.latency[0] == pytest.approx(3 * SLOW + 0.01 + 0.03, rel=1e-12)
    assert records.failed_calls.tolist() == [1]


class FakeCalls:
    """Scripted attempts: each option answers `outcome` after `duration`."""

    def __init__(self, script: dict[int, tuple[float, int]], budget: int = 100):
        self.env = simpy.Environment()
        self.script = script
        self.budget = budget
        self.log: list[tuple[float, int, int]] = []

    def choose(self, component, attempt, previous):
        return attempt % len(self.script)

    def attempt(self, option, measured, timeout):
        duration, outcome = self.script[option]
        if timeout is not None and timeout < duration:
            duration, outcome = timeout, TIMEOUT
        yield self.env.timeout(duration)
        self.log.append((self.env.now, option, outcome))
        return outcome

    def may_retry(self, component):
        self.budget -= 1
        return self.budget >= 0

    def jitter(self, component):
        return 0.5


def run(calls: FakeCalls, policy: CallPolicy) -> bool:
    process = calls.env.process(policy.call(calls, 0, None))
    calls.env.run()
    return process.value


def test_default_loop_stops_at_the_first_success():
    calls = FakeCalls({0: (1.0, ERROR), 1: (2.0, OK)})
    assert run(calls, CallPolicy(retries=5, backoff_base=0.5))
    assert calls.log == [(1.0, 0, ERROR), (3.5, 1, OK)]


def test_default_loop_times_out_and_jitters_its_backoff():
    calls = FakeCalls({0: (5.0, OK)})
    policy = CallPolicy(timeout=1.0, retries=1, backoff_base=2.0, jitter=True)
    assert not run(calls, policy)
    # Full jitter: the backoff is uniform × 2 s, the fake's uniform is 0.5.
    assert calls.log == [(1.0, 0, TIMEOUT), (3.0, 0, TIMEOUT)]


def test_default_loop_stops_when_the_retry_budget_is_spent():
    calls = FakeCalls({0: (1.0, ERROR)}, budget=1)
    assert not run(calls, CallPolicy(retries=5))
    assert [entry[0] for entry in calls.log] == [1.0, 2.0]


def test_a_policy_with_its_own_mechanism_is_never_the_fast_path():
    from conductor.strategies.hedged import HedgedCall

    assert CallPolicy().simple
    assert not CallPolicy(timeout=1.0).simple
    assert not HedgedCall(hedge_delay=0.1, max_attempts=2).simple
    assert not HedgedCall().simple


def test_a_third_hedge_goes_out_one_delay_after_the_second(scenario):
    records = one_call(
        scenario, {"policy": "hedged", "order": ["slow"], "delay": 0.03, "max_attempts": 3}
    )
    # Three attempts at the one option, sent at 0, 0.03 and 0.06: the first answers first.
    assert records.latency[0] == pytest.approx(SLOW, rel=1e-12)
    assert records.flow_attempts[0].tolist() == [3, 0]
