"""The left menu (ux.md "Navigation") with a count on every entry, for every page.

Every entry is checked against the page rules the views use (``dossiers.access``): nobody is
offered a link that answers 403, whichever app added it.
"""
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from dossiers.access import page_allowed
from dossiers.roles import ADMINISTRATOR, user_roles
from dossiers.selectors import dossier_menu_counts, staff_profile

#: Header facts from other apps, registered in their ``AppConfig.ready()`` so that ``dossiers``
#: never imports them: each ``hook(request) -> dict`` may set ``unread`` and
#: ``notifications_url`` (the bell; the ``monitoring`` app registers it).
NAV_HOOKS: list = []
#: Menu entries from other apps: each ``hook(user, roles) -> [(label, url, count or None), …]``
#: adds entries to the "Theo dõi" group (the ``citizens`` app registers feedback and scorecard).
MENU_HOOKS: list = []
#: Administrators' entries from other apps: each ``hook(user, roles) -> [(label, url), …]`` adds
#: entries to the "Danh mục" group (the ``connected`` app registers connected systems, notices).
ADMIN_MENU_HOOKS: list = []


def _may_open(user, url: str) -> bool:
    try:
        name = resolve(url.split("?")[0]).view_name
    except Resolver404:
        return True
    return page_allowed(user, name)


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # once per request: a fragment rendered with the request (the report page's sections of
    # other apps) runs the context processors again, and the menu's counts are not free
    built = getattr(request, "_onecua_nav", None)
    if built is None:
        built = request._onecua_nav = _nav(request, user)
    return built


def _nav(request, user) -> dict:
    counts = dossier_menu_counts(user=user, by_state=getattr(request, "menu_counts_by_state", None))
    path = request.path

    def item(label, url, count=None):
        return {"label": label, "url": url, "count": count, "active": path == url}

    def tab(name):
        return reverse("dossiers:list", args=[name])

    groups = [
        {"title": _("Một cửa"), "items": [
            item(_("Tiếp nhận hồ sơ"), reverse("dossiers:intake")),
            item(_("Việc hôm nay"), reverse("dossiers:worklist")),
            item(_("Hồ sơ chờ tiếp nhận"), tab("submitted"), counts["submitted"]),
            item(_("Sổ theo dõi hồ sơ"), reverse("dossiers:register")),
        ]},
        {"title": _("Xử lý"), "items": [
            item(_("Hồ sơ của tôi"), reverse("dossiers:inbox"), counts["mine"]),
            item(_("Hồ sơ đang xử lý"), tab("processing"), counts["processing"]),
            item(_("Hồ sơ chờ bổ sung"), tab("supplement"), counts["supplement"]),
            item(_("Hồ sơ chờ trả kết quả"), tab("result"), counts["result"]),
            item(_("Hồ sơ đã trả kết quả"), tab("returned"), counts["returned"]),
        ]},
        {"title": _("Theo dõi"), "items": [
            item(_("Tra cứu hồ sơ"), reverse("dossiers:search")),
        ]},
    ]
    roles = user_roles(user)
    pages = [(_("Theo dõi tiến độ"), "monitoring:dashboard"), (_("Thống kê, báo cáo"), "reporting:report_quarterly")]
    for label, name in pages:
        try:
            groups[2]["items"].append(item(label, reverse(name)))
        except NoReverseMatch:  # the page arrives with its issue
            pass
    for hook in MENU_HOOKS:
        for label, url, count in hook(user, roles):
            groups[2]["items"].append(item(label, url, count))
    if ADMINISTRATOR in roles:
        groups.append({"title": _("Danh mục"), "items": [
            item(_("Lịch làm việc"), reverse("dossiers:calendar")),
            item(_("Sắp xếp đơn vị"), reverse("dossiers:reorganisation")),
            item(_("Đơn vị, thủ tục"), reverse("admin:index")),
        ]})
        for hook in ADMIN_MENU_HOOKS:
            for label, url in hook(user, roles):
                groups[-1]["items"].append(item(label, url))
    for group in groups:  # only the pages this user may open (the views' own rules)
        group["items"] = [i for i in group["items"] if _may_open(user, i["url"])]
    groups = [g for g in groups if g["items"]]
    profile = staff_profile(user)
    extras = {"unread": 0, "notifications_url": None}
    for hook in NAV_HOOKS:
        extras.update(hook(request))
    return {"nav": {"groups": groups, "unit": profile.unit.name if profile else "", **extras}}
