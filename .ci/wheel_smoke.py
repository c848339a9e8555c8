"""Run by .ci/wheel_check.sh with the fresh venv's Python, from a directory outside the tree:
the installed portal serves its pages, its CSS and its translations, and registers a user."""

import re
import sys
from pathlib import Path

import portal
from portal import create_app

venv = Path(sys.argv[1]).resolve()


def check(what: str, ok: bool) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        raise SystemExit(f"wheel check failed: {what}")


check(
    f"portal imported from the venv ({Path(portal.__file__).parent})",
    Path(portal.__file__).resolve().is_relative_to(venv),
)
app = create_app()
check(
    "templates, static and migrations inside the installed package",
    all(
        Path(folder).is_relative_to(venv) and Path(folder).is_dir()
        for folder in (app.template_folder, app.static_folder, app.extensions["migrate"].directory)
    ),
)
client = app.test_client()

home = client.get("/")
check("GET / is 200", home.status_code == 200)
stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', home.get_data(as_text=True))
check(f"the home page links stylesheets {stylesheets}", bool(stylesheets))
for href in stylesheets:
    css = client.get(href)
    check(
        f"GET {href} is 200 text/css, not empty",
        css.status_code == 200 and css.mimetype == "text/css" and len(css.data) > 0,
    )

login = client.get("/login")
check(
    "GET /login is 200 and in Chinese (compiled catalog)",
    login.status_code == 200 and "登录" in login.get_data(as_text=True),
)

form = client.get("/register")
check("GET /register is 200", form.status_code == 200)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.get_data(as_text=True))
check("the registration form has a CSRF token", token is not None)
fields = {
    "csrf_token": token.group(1),
    "email": "wheel-check@example.com",
    "display_name": "Wheel check",
    "password": "amber-lantern-harbour-47",
    "confirm": "amber-lantern-harbour-47",
}
sent = client.post("/register", data=fields)
check(
    "POST /register with a strong password is 200 (password rules loaded)",
    sent.status_code == 200 and 'name="password"' not in sent.get_data(as_text=True),
)
weak = client.post(
    "/register",
    data={**fields, "email": "weak@example.com", "password": "password", "confirm": "password"},
)
check("POST /register with a common password is refused with 400", weak.status_code == 400)
print("wheel check passed")
