"""Every API error answers in the reference's shape, through throwaway DRF views routed by this module."""

import logging

import pytest
from django.http import Http404
from django.urls import path
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_errors import UNKNOWN_ERROR_MESSAGE, describe_errors
from accounts.errors import DomainError


class AgentSerializer(serializers.Serializer):
    name = serializers.CharField()
    limit = serializers.IntegerField(min_value=1)


class CreateAgent(APIView):
    def post(self, request):
        serializer = AgentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class Broken(APIView):
    def get(self, request):
        raise RuntimeError("the database caught fire")


class Missing(APIView):
    def get(self, request):
        raise Http404("Agent agent-1 not found.")


class Conflict(APIView):
    def get(self, request):
        raise APIException({"detail": {"code": "PENDING_APPROVAL", "pending_request_id": "message-1"}})


class Locked(DomainError):
    """A domain error as services define them: its status and code on the class."""

    status_code = 423
    code = "LOCKED"


class Refused(APIView):
    def get(self, request):
        if request.query_params.get("extra"):
            raise Locked("Block block-1 is locked; try again later.", holder="run-1")
        raise Locked("Block block-1 is locked; try again later.")


urlpatterns = [
    path("refused/", Refused.as_view()),
    path("agents/", CreateAgent.as_view()),
    path("broken/", Broken.as_view()),
    path("missing/", Missing.as_view()),
    path("conflict/", Conflict.as_view()),
]

urls = pytest.mark.urls(__name__)


@urls
def test_an_unexpected_exception_is_a_json_500_and_is_logged(api, caplog):
    with caplog.at_level(logging.ERROR, logger="accounts.api_errors"):
        response = api.get("/broken/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": UNKNOWN_ERROR_MESSAGE}
    [record] = [r for r in caplog.records if r.name == "accounts.api_errors"]
    assert "GET /broken/" in record.getMessage() and record.exc_info[0] is RuntimeError


@urls
def test_a_validation_error_is_422_naming_the_fields(api):
    response = api.post("/agents/", {"limit": 0}, content_type="application/json")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == (
        "Invalid request: name: This field is required. limit: Ensure this value is greater than or equal to 1."
    )
    assert body["errors"] == {
        "name": ["This field is required."],
        "limit": ["Ensure this value is greater than or equal to 1."],
    }


@urls
def test_malformed_json_is_422_like_the_reference(api):
    response = api.post("/agents/", "{not json", content_type="application/json")

    assert response.status_code == 422 and response.json()["detail"].startswith("JSON parse error")


@urls
def test_a_valid_request_passes(api):
    response = api.post("/agents/", {"name": "a", "limit": 5}, content_type="application/json")
    assert response.status_code == 201


@urls
def test_not_found_and_method_not_allowed_keep_the_detail_shape(api):
    assert api.get("/missing/").json() == {"detail": "Agent agent-1 not found."}
    response = api.delete("/agents/")
    assert response.status_code == 405 and response.json() == {"detail": 'Method "DELETE" not allowed.'}


@urls
def test_a_structured_detail_raised_on_purpose_is_kept(api):
    response = api.get("/conflict/")
    assert response.json() == {"detail": {"code": "PENDING_APPROVAL", "pending_request_id": "message-1"}}


@urls
def test_a_domain_error_answers_its_status_and_message(api):
    response = api.get("/refused/")

    assert response.status_code == 423
    assert response.json() == {"detail": "Block block-1 is locked; try again later."}


@urls
def test_a_domain_error_with_extras_sends_its_code_and_extras_beside_the_detail(api):
    response = api.get("/refused/?extra=1")

    assert response.status_code == 423
    assert response.json() == {
        "detail": "Block block-1 is locked; try again later.",
        "code": "LOCKED",
        "holder": "run-1",
    }


def test_a_domain_error_outside_http_is_its_message():
    # The memory tools hand str(exc) to the model.
    error = Locked("Block block-1 is locked; try again later.", holder="run-1")
    assert str(error) == error.message == "Block block-1 is locked; try again later."
    assert DomainError("no", status_code=504).status_code == 504 and DomainError("no").status_code == 400


def test_describe_errors_names_nested_fields_and_items():
    errors = {
        "non_field_errors": ["Send messages or input, not both."],
        "messages": [{}, {"role": ['"bot" is not a valid choice.'], "content": {"text": ["Required"]}}],
    }
    assert describe_errors(errors) == (
        "Invalid request: Send messages or input, not both. "
        'messages[1].role: "bot" is not a valid choice. messages[1].content.text: Required.'
    )
    assert describe_errors(["Expected a list of items."]) == "Invalid request: Expected a list of items."
