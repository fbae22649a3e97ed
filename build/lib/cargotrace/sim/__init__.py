"""sim/: generated AIS traffic with known truth, for tests, the demo and benchmarks."""
