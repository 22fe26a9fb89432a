"""Citizen-facing pages (``public``, ``kiosk``) and the supervisors' feedback pages (``feedback``).

Report views (satisfaction, scorecard) live in ``citizens.report*`` modules, not here.
"""
