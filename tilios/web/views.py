from django.http import HttpResponse


def home(request):
    return HttpResponse("Tilios")


def place(request, public_id):
    return HttpResponse(public_id)


def sources(request):
    return HttpResponse("sources")
