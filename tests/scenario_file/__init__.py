"""Tests of sim.scenario: YAML -> validated spec tree, errors, --set, explain."""
