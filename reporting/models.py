"""Period statistics and frozen reports (built in the reporting issue)."""
