from django.http import JsonResponse
from django.shortcuts import redirect

VERSION = "0.1.0"


def home(request):
    # The ADE is the server's front page; it sends a signed-out visitor on to sign in.
    return redirect("ade-agents")


def health(request):
    return JsonResponse({"version": VERSION, "status": "ok"})
