"""Record: the job queue that workers claim (webhook deliveries, roll-ups, scoring)."""
