"""Publishing a station's events: frames, the outbox they wait in, and JetStream.

The caller's thread cuts events into frames (:mod:`.frames`); a writer thread commits
them to the outbox (:mod:`.writer`, :mod:`.outboxes`, :mod:`.outbox`,
:mod:`.sqlite_outbox`); the sender publishes them to JetStream and awaits their acks
(:mod:`.jetstream`). :class:`Publisher` ties these together. :mod:`.outbox_admin`
shows outbox files and delivers what dead processes left in them. See docs/outbox.md.
"""

from benchtrail.agents.publishing.publisher import Publisher, PublisherSettings
from benchtrail.agents.publishing.stats import PublisherStats

__all__ = ["Publisher", "PublisherSettings", "PublisherStats"]
