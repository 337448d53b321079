"""Benchmarks: every figure is a ratio against a floor measured in the same run
(machines here are shared and noisy). `make bench` runs them all."""
