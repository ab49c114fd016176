"""Third-party record implementations used as oracles, imported once with their warnings muted.

kafka-python 3 uses `importlib.resources.read_text` at import time, which the suite's
`filterwarnings = error` would turn into a collection error.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from aiokafka import codec as aio_codec
    from aiokafka.record import default_records as aio_records
    from aiokafka.record.memory_records import MemoryRecords as AioMemoryRecords
    from kafka import codec as kafka_codec
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
    from kafka.record.memory_records import MemoryRecords
    from kio.records.readers import read_batch as kio_read_batch

__all__ = [
    "AioMemoryRecords",
    "DefaultRecordBatch",
    "DefaultRecordBatchBuilder",
    "MemoryRecords",
    "aio_codec",
    "aio_records",
    "kafka_codec",
    "kio_read_batch",
]
