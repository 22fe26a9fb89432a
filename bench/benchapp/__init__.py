"""A one-table app: the baseline "bare DRF create" endpoint of bench/bench_intake.py."""
