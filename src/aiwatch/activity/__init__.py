"""Activity rules on the log feed (``activity.*``): bursts, privilege raises, app links, keys."""
