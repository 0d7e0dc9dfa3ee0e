"""Observation-window commands on the hub: checks, the commands and how they are published."""
