"""Adapters that record other test frameworks' results as benchtrail runs.

Each adapter lives in its own module and needs its framework, installed as an
extra of ``benchtrail-agents``; importing it without the extra raises
``ImportError`` naming the ``pip install`` to run. Nothing here is imported by
``benchtrail.agents`` itself.

- :mod:`benchtrail.agents.adapters.openhtf`: ``BenchtrailOutput``, an OpenHTF
  output callback (``pip install 'benchtrail-agents[openhtf]'``).
- :mod:`benchtrail.agents.adapters.bluesky`: ``BenchtrailCallback``, a Bluesky
  RunEngine subscriber (``pip install 'benchtrail-agents[bluesky]'``).
"""

__all__: list[str] = []
