"""The API's doors for text the database cannot store (`agents/storable.py`): the DRF JSON parser and the query
string refuse it with a clear 422 (as any request that does not validate), and the async views' body reader uses
the same check, so every route refuses the same input the same way. Both parse with `letta_project.limits.parse_json`
(JSON nested too deeply is a 400 there).
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

from agents.storable import problem_in, unstorable
from letta_project.limits import JSONTooDeep, parse_json


class StorableJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies the database could not store."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = parse_json(stream.read().decode(get_encoding(parser_context or {})))
        except JSONTooDeep:
            raise
        except ValueError as exc:  # the wording of DRF's own parser
            raise ParseError(f"JSON parse error - {exc}") from None
        if problem := unstorable(data):
            raise ParseError(f"The request body cannot be stored: {problem}.")
        return data


class StorableQueryMiddleware:
    """Refuse `/v1` query strings with a NUL character (a filter on `name=%00` would fail in PostgreSQL)."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _refusal(self, request):
        if not request.path.startswith("/v1/"):
            return None
        for key, values in request.GET.lists():
            for text in (key, *values):
                if problem := problem_in(text):
                    return JsonResponse(
                        {"detail": f"The query parameter {key!r} {problem}, which cannot be stored or searched."},
                        status=422,
                    )
        return None

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return self._refusal(request) or self.get_response(request)

    async def _acall(self, request):
        return self._refusal(request) or await self.get_response(request)
