"""Record: outcomes (renewed, churned, downsold) recorded on accounts."""
