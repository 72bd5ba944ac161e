from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    memberships = request.user.memberships.active().select_related("organisation", "jurisdiction")
    return render(request, "approvals/home.html", {"memberships": memberships})
