from django.http import JsonResponse
from django.shortcuts import redirect

VERSION = "0.1.0"
# The Letta server release whose v1 API this server speaks (shared/reference/letta-v1.md is drawn from it). Letta
# clients read `version` as that: Letta Code warns "Your Docker image is outdated" below 0.16.6.
LETTA_API_VERSION = "0.16.7"


def home(request):
    # The ADE is the server's front page; it sends a signed-out visitor on to sign in.
    return redirect("ade-agents")


def health(request):
    return JsonResponse({"version": LETTA_API_VERSION, "status": "ok", "server_version": VERSION})
