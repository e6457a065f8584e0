#!/usr/bin/env python3
"""Screenshots of the module's screens for static/description/, from a served database with demo data.

    python3 tools/take_screenshots.py --url http://localhost:8069 --db prepaid_demo --out /tmp/shots \
        card_form=/odoo/action-prepaid_services.action_prepaid_service/1 ...

Logs in as admin/admin over JSON-RPC, then drives headless Chromium over the DevTools protocol (pip package
websocket-client): the session cookie, the page, and a 1380x900 PNG of the viewport. A target may run a
JavaScript snippet after the page loaded (name=url|js), e.g. to open a wizard through the action service as
a click would.
"""

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

import requests
import websocket

# just under Odoo's XXL breakpoint (1400 px): the chatter goes under the form, which keeps the full width
WIDTH, HEIGHT = 1380, 900


def login(url, db, user, password):
    session = requests.Session()
    response = session.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": user, "password": password}},
        timeout=60,
    )
    response.raise_for_status()
    if "error" in response.json():
        sys.exit(f"login failed: {response.json()['error']}")
    return session.cookies["session_id"]


class Browser:
    def __init__(self, port=9333):
        chrome = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
        self.profile = tempfile.mkdtemp(prefix="pp_shots_")
        self.process = subprocess.Popen(
            [
                chrome,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--window-size={WIDTH},{HEIGHT}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(50):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        else:
            sys.exit("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.3)
        return False

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


# the web client has rendered a view and has no pending request
READY = (
    "!!document.querySelector('.o_action_manager .o_view_controller') && "
    "!document.querySelector('.o_loading_indicator, .o-main-components-container .o_loading')"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", required=True)
    parser.add_argument("targets", nargs="+", help="name=path[|javascript]")
    args = parser.parse_args()

    cookie = login(args.url, args.db, args.login, args.password)
    browser = Browser()
    try:
        browser.call("Network.enable")
        browser.call("Page.enable")
        browser.call("Network.setCookie", name="session_id", value=cookie, domain=urlparse(args.url).hostname, path="/")
        browser.call(
            "Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False
        )
        for target in args.targets:
            name, _sep, rest = target.partition("=")
            path, _sep, script = rest.partition("|")
            browser.call("Page.navigate", url=f"{args.url}{path}")
            time.sleep(1.0)
            if not browser.wait_for(READY):
                print(f"{name}: the view did not load", file=sys.stderr)
            if script:
                browser.evaluate(script)
                browser.wait_for("!!document.querySelector('.modal .o_form_view')", timeout=20)
            time.sleep(1.5)
            png = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
            with open(f"{args.out}/{name}.png", "wb") as file:
                file.write(png)
            print(f"{name}: {len(png) // 1024} KB")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
