"""The baseline: DRF's generic create on one table, with the same authentication as the API."""
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from bench.benchapp.models import Note


class NoteCreateApi(generics.CreateAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Note
            fields = ["id", "title", "body", "created_at"]

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = OutputSerializer
    queryset = Note.objects.all()
