"""The left menu is built from the page rules the views check (dossiers.access, issue 14): for every
demo account, every menu link opens (never 403); officers are no longer offered the intake, clerks
no longer the report. The 403, 404 and 500 pages are in the site's look, Vietnamese first."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from demo.catalogue import demo_load

pytestmark = pytest.mark.django_db

NAV_RE = re.compile(r'<nav class="sidebar[^"]*"[^>]*>(.*?)</nav>', re.S)


@pytest.fixture
def demo():
    demo_load()


def menu_links(client) -> list[str]:
    html = client.get(reverse("dossiers:search")).content.decode()
    m = NAV_RE.search(html)
    assert m, "no menu on the page"
    return re.findall(r'href="([^"]+)"', m.group(1))


def test_no_menu_link_of_any_demo_account_answers_403(demo):
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    assert users.count() >= 13
    seen = 0
    for user in users:
        c = Client()
        c.force_login(user)
        for url in menu_links(c):
            r = c.get(url)
            assert r.status_code in (200, 302), (user.username, url, r.status_code)
            seen += 1
    assert seen > 50


def test_each_role_gets_its_own_menu(demo):
    def links(username):
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        return set(menu_links(c))

    intake, report, dashboard = reverse("dossiers:intake"), reverse("reporting:report_quarterly"), reverse("monitoring:dashboard")
    register = reverse("dossiers:register")
    officer, clerk, leader = links("chuyenvien.stp"), links("motcua.tinh"), links("lanhdao.stp")
    assert intake not in officer and report not in officer and register not in officer  # the old menu offered them
    assert intake in clerk and register in clerk and report not in clerk and dashboard not in clerk
    assert report in leader and dashboard in leader and intake not in leader


def test_403_is_a_page_in_the_sites_look_with_the_reason(demo):
    c = Client()
    c.force_login(get_user_model().objects.get(username="chuyenvien.stp"))
    r = c.get(reverse("dossiers:intake"))
    html = r.content.decode()
    assert r.status_code == 403
    assert "Không có quyền truy cập" in html and "Chỉ cán bộ một cửa được tiếp nhận hồ sơ." in html
    assert 'class="sidebar' in html and "Về trang chủ" in html and "Forbidden" not in html


def test_404_is_a_page_in_the_sites_look(demo):
    c = Client()
    c.force_login(get_user_model().objects.get(username="motcua.tinh"))
    r = c.get("/khong-co-trang-nay/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Không tìm thấy trang" in html and 'class="topbar' in html and "Not Found" not in html


def test_error_pages_switch_to_english(demo):
    c = Client()
    c.force_login(get_user_model().objects.get(username="chuyenvien.stp"))
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = c.get(reverse("dossiers:intake")).content.decode()
    assert "Access denied" in html


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Hệ thống gặp lỗi" in html and "Something went wrong" in html
