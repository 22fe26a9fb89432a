"""Satisfaction views, feedback counts and the Quyết định 766 scorecard."""
urlpatterns: list = []
