from django.urls import path
import onecua.converters  # noqa: F401  (registers <dossier_code:…>)

from papers import api, pages

app_name = "papers"

#: under /api/v1/ (onecua/api_urls.py), before dossiers' catch-all "unknown action"
api_urlpatterns = [
    path("dossiers/<dossier_code:code>/documents/", api.DocumentCollectionApi.as_view(), name="api-documents"),
    path("dossiers/<dossier_code:code>/documents/<int:pk>/content/", api.DocumentContentApi.as_view(), name="api-document-content"),
]

urlpatterns = [
    path("ho-so/<dossier_code:code>/giay-to/", pages.dossier_documents_post, name="upload"),
    path("ho-so/<dossier_code:code>/giay-to/<int:pk>/", pages.document_download, name="download"),
    path("giay-to/tai-su-dung/", pages.reusable_lookup, name="reusable"),
    path("tra-cuu-ho-so/ho-so/<dossier_code:code>/ket-qua/<int:pk>/", pages.public_download, name="public_download"),
]
