from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import MeOutputSerializer
from agents.selectors import queue_list_for_agent, user_roles


class MeView(APIView):
    """The caller: username, roles and the queues they may see."""

    @extend_schema(responses=MeOutputSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        data = {
            "username": request.user.get_username(),
            "roles": user_roles(user=request.user),
            "queues": queue_list_for_agent(user=request.user),
        }
        return Response(MeOutputSerializer(data).data)
