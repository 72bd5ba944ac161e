from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from declarations.ids import parse_id
from notifications import digest, services
from notifications.models import Notification, Preference


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user, show_in_app=True)
    if request.GET.get("unread") == "1":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "query": ""})


@login_required
@require_POST
def notification_read(request, pk):
    notification = services.notification_mark_read(user=request.user, notification_id=pk)
    if request.POST.get("open") and notification.url:
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读。")
    return redirect("notifications:list")


@login_required
def preferences(request):
    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    if request.method == "POST":
        preference = services.preference_update(
            user=request.user,
            in_app=bool(request.POST.get("in_app")),
            email=bool(request.POST.get("email")),
        )
        messages.success(request, "通知方式已保存。")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"preference": preference})


@login_required
def digest_page(request):
    organisations = digest.organisations_for_digest_page(request.user)
    chosen = parse_id(request.GET.get("organisation"))
    if chosen is not None:
        organisations = organisations.filter(pk=chosen)
        if not organisations:
            raise Http404("无此组织的周报。")
    digests = [
        digest.organisation_digest(org)
        for org in organisations.order_by("jurisdiction__name", "kind", "name")
    ]
    return render(request, "notifications/digest.html", {"digests": digests})
