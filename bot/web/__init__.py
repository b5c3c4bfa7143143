"""The web console under /console/: server-rendered Chinese pages for secretaries and district staff.

Jinja2 renders every page on the server and htmx (static/htmx.min.js, served by the app itself: many
intranets have no internet) swaps filtered tables in place; without JavaScript every link and form
still works. ``pages`` holds the pages and mounts everything, ``login`` the one-time links, logging in
from a platform's app (企业微信网页授权) and logout, ``views`` what every page shares (a transaction, the
viewer, CSRF, 403s), ``auth`` the cookie. What a page shows is decided in handlers/ (handlers/console.py,
handlers/overview.py) with the chat's permission rules.
"""
