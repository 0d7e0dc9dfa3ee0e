"""Services of the embedded hub (``benchtrail up``): nats-server, lock board, live feeds,
retention, dead letters, ingest status and the observation-window commands.
"""
