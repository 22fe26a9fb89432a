"""Citizen-facing pages (public lookup, evaluation, feedback) and the staff pages that read
them (feedback answers, satisfaction, scorecard). Namespace ``citizens``."""
from citizens import public_urls, report_urls

app_name = "citizens"
urlpatterns = [*public_urls.urlpatterns, *report_urls.urlpatterns]
