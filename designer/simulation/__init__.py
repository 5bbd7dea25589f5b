"""The Simulation dock: scenarios, dry runs, expectation verdicts, a sequence timeline, coverage."""
