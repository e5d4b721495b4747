"""The verdicts a claim can get; the rules that give them are in ``stats``. Kept apart so that
reading a dashboard (the workflow does at every start) does not import scipy.stats."""

SUPPORTED, CONTRADICTED, INCONCLUSIVE, UNDERPOWERED = "supported", "contradicted", "inconclusive", "underpowered"
VERDICTS = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, UNDERPOWERED)
