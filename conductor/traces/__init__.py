"""From measurements to a model: traces and resilience configs in, a scenario out.

A trace file (OTLP/JSON or Jaeger JSON) is read span by span into compact `Span`
records (`spans`), grouped per trace and linked into call trees, with broken links,
clock skew and cycles counted or refused (`trees`). The call trees of each root
operation are folded into one step DAG with probabilities and repeat counts
(`composition`), service times and round trips are fitted (`fitting`), and the result is
written as a commented, self-contained scenario (`writer`). `validate` simulates a
scenario and sets its latency percentiles beside the measured ones; `configs` turns
Istio, gRPC, resilience4j and Envoy settings into strategies.
"""
