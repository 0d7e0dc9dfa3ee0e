"""Measurement workflows: ``MeasurementSession`` sweeps and timed runs, bench files."""

from benchtrail.agents.workflows.bench import Bench
from benchtrail.agents.workflows.parameters import Parameter
from benchtrail.agents.workflows.session import MeasurementSession
from benchtrail.schemas import Experiment

__all__ = [
    "Bench",
    "Experiment",
    "MeasurementSession",
    "Parameter",
]
