"""Record: risk signals per account (open risk tasks, an opportunity at risk, usage trend, NPS), kept apart from
the CSM's sentiment and shown beside it."""
