from django.http import JsonResponse
from django.shortcuts import render

from agents.models import Agent

VERSION = "0.1.0"


def home(request):
    agents = Agent.objects.order_by("-created_at")[:50]
    return render(request, "agents/home.html", {"agents": agents})


def health(request):
    return JsonResponse({"version": VERSION, "status": "ok"})
