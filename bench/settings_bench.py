"""Settings for bench/bench_intake.py only: OneCua's settings plus the one-table baseline app.

``bench.benchapp`` and its URL (``bench/urls_bench.py``) never ship in production URLs: they
exist only when ``DJANGO_SETTINGS_MODULE=bench.settings_bench``.
"""
from onecua.settings import *  # noqa: F401,F403
from onecua.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
ROOT_URLCONF = "bench.urls_bench"
