"""Scale-out: per-model queues, executor heartbeats and recovery, the worker pool."""
