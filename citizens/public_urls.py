"""Public lookup, evaluation (online and kiosk), feedback; staff feedback answers."""
urlpatterns: list = []
